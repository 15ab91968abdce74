"""The outcome logic the headline numbers count, without a simulator (fast): LIBERO's on-plate predicate
(`BowlPlateScene.bowl_on_plate`) on stand-in contact data, and the evaluator's PLACE / released / place_step bookkeeping
(`teleport_servo_rollout`) on a scripted stand-in scene. The same claims in MuJoCo: tests/test_evaluate.py."""
import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

import para_wb.eval.loop as E
from para_wb.analysis.significance import wilson_interval
from para_wb.rollouts import Prediction, summarize
from para_wb.config import load_config
from para_wb.rollouts import rollout_outcome
from para_wb.sim.scene import BowlPlateScene


def _contact_scene(bowl, plate, contacts):
    c = [SimpleNamespace(geom1=a, geom2=b) for a, b in contacts]
    return SimpleNamespace(bowl_pos=lambda: np.array(bowl, float), plate_pos=lambda: np.array(plate, float),
                           data=SimpleNamespace(ncon=len(c), contact=c), bowl_geoms={1, 2}, plate_geoms={7})


@pytest.mark.parametrize("bowl,contacts,want", [
    ((0.10, 0.0, 0.93), [(1, 7)], True),                # on top, touching, 0 cm apart
    ((0.129, 0.0, 0.93), [(3, 4), (7, 2)], True),       # 2.9 cm apart, contact listed plate-first
    ((0.10, 0.029, 0.93), [(2, 7)], True),
    ((0.131, 0.0, 0.93), [(1, 7)], False),              # 3.1 cm apart in x
    ((0.10, -0.031, 0.93), [(1, 7)], False),            # 3.1 cm apart in y
    ((0.122, 0.022, 0.93), [(1, 7)], False),            # 3.1 cm apart diagonally (each axis < 3 cm)
    ((0.10, 0.0, 0.90), [(1, 7)], False),               # not above the plate
    ((0.10, 0.0, 0.93), [], False),                     # not touching
    ((0.10, 0.0, 0.93), [(1, 5), (9, 7)], False),       # touching something else / the plate touching something else
])
def test_bowl_on_plate_predicate(bowl, contacts, want):
    assert BowlPlateScene.bowl_on_plate(_contact_scene(bowl, (0.10, 0.0, 0.905), contacts)) is want


def test_rollout_outcome_table():
    assert [rollout_outcome(p, l) for p, l in [(True, True), (True, False), (False, True), (False, False)]] == \
        ["PLACE", "PLACE", "GRASP", "MISS"]


class ScriptedScene:
    "Stand-in scene: the bowl is lifted from waypoint `lift_at` and on the plate from `place_at` on (None: never)."
    def __init__(self, lift_at=None, place_at=None):
        self.lift_at, self.place_at, self.steps, self.gripper_cmd = lift_at, place_at, 0, -1.0
    def set_camera(self, cam): pass
    def reset(self, xy, distractor_seed=None): self.steps = 0
    def eef_pos(self): return np.array([0.0, 0.0, 1.0])
    def render(self): return np.zeros((8, 8, 3), np.uint8)
    def camera(self): return None
    def bowl_lifted(self): return self.lift_at is not None and self.steps >= self.lift_at
    def bowl_on_plate(self): return self.place_at is not None and self.steps >= self.place_at
    def bowl_pos(self): return np.zeros(3)
    def plate_pos(self): return np.zeros(3)


class Gripper:
    "Constant waypoints; gripper closed (+1) until waypoint `open_at` (None: never opens)."
    stateless = False
    def __init__(self, open_at=None): self.open_at, self.t = open_at, 0
    def predict(self, obs):
        g = np.array([1.0 if self.open_at is None or obs.step + i + 1 < self.open_at else -1.0 for i in range(4)])
        return Prediction(np.tile([0.0, 0.0, 1.0], (4, 1)), g)


@pytest.fixture
def ecfg(monkeypatch):
    def servo(scene, w, gc):
        scene.steps += 1; scene.gripper_cmd = gc
        return SimpleNamespace(converged=True)
    monkeypatch.setattr(E, "servo_to_waypoint", servo)
    return dataclasses.replace(load_config("cpu").eval, max_steps=40, release_steps=5, execute_per_prediction=2, stop_at_rest=False)


def test_place_held_never_released(ecfg):
    r = E.teleport_servo_rollout(ScriptedScene(lift_at=3, place_at=9), Gripper(), (0.0, 0.0), ecfg)
    assert (r.outcome, r.placed, r.lifted, r.released, r.place_step) == ("PLACE", True, True, False, 9)
    assert r.n_steps == 9 + ecfg.release_steps and (r.gripper > 0).all() and r.success


def test_place_then_release_stops_at_the_release(ecfg):
    r = E.teleport_servo_rollout(ScriptedScene(lift_at=3, place_at=9), Gripper(open_at=11), (0.0, 0.0), ecfg)
    assert (r.outcome, r.released, r.place_step, r.n_steps) == ("PLACE", True, 9, 11)


def test_opening_before_the_plate_is_not_a_release(ecfg):
    r = E.teleport_servo_rollout(ScriptedScene(lift_at=3, place_at=9), Gripper(open_at=5), (0.0, 0.0), ecfg)
    assert r.outcome == "PLACE" and r.released          # open from 5 on, so open when it lands at 9: released at 9
    assert r.n_steps == 9
    r = E.teleport_servo_rollout(ScriptedScene(lift_at=3, place_at=None), Gripper(open_at=5), (0.0, 0.0), ecfg)
    assert (r.outcome, r.released, r.place_step, r.n_steps) == ("GRASP", False, -1, ecfg.max_steps)


def test_never_lifted_is_a_miss_and_runs_to_max_steps(ecfg):
    r = E.teleport_servo_rollout(ScriptedScene(), Gripper(), (0.0, 0.0), ecfg)
    assert (r.outcome, r.placed, r.lifted, r.n_steps, r.n_predictions) == ("MISS", False, False, ecfg.max_steps, ecfg.max_steps // 2)
    assert r.eef.shape == (ecfg.max_steps + 1, 3) and not r.success


def test_summarize_counts_outcomes(ecfg):
    rs = [E.teleport_servo_rollout(ScriptedScene(3, p), Gripper(o), (0.0, 0.0), ecfg) for p, o in [(9, None), (9, 11), (None, None), (9, None)]]
    rs.append(E.teleport_servo_rollout(ScriptedScene(), Gripper(), (0.0, 0.0), ecfg))
    s = summarize(rs)
    assert (s["n"], s["PLACE"], s["GRASP"], s["MISS"], s["released"]) == (5, 3, 1, 1, 1) and s["success"] == 0.6
    assert (s["ci_low"], s["ci_high"]) == pytest.approx(wilson_interval(3, 5))
