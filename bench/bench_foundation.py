#!/usr/bin/env python
"""Foundation benchmark: how fast the simulator side of para_wb runs on this machine.

Measures, on one `BowlPlateScene(load_config(preset))`, in one run:
  physics   raw `mujoco.mj_step` steps/s; servo steps/s (`servo_to_waypoint`: IK + >= physics_substeps steps) without rendering
  render    ms per `scene.render()` at the preset's image size; servo steps/s with a render after every step
  demos     demos/min and steps/demo with `para_wb.sim.demos.record_expert_demo` (falls back to `run_expert` + a render
            per step when demos.py is not there yet)
  eval      rollouts/min of `para_wb.eval.loop.teleport_servo_rollout` with `ExpertOraclePolicy` (when para_wb.eval exists)
  merit     pipeline time per recorded demo step / (render + servo step time measured in isolation); target <= 1.5

Usage:  python bench/bench_foundation.py --preset cpu [--out bench/results/foundation_cpu.json] [--n-demos 4] [--n-rollouts 4]
"""
from __future__ import annotations
import argparse, datetime, importlib, inspect, os, platform, sys, time
os.environ.setdefault("MUJOCO_GL", "egl")
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path: sys.path.insert(0, ROOT)


# -- instrumentation ------------------------------------------------------------------------------------------
class Clock:
    "Accumulated wall time and call counts per component."
    def __init__(self): self.t, self.n = {}, {}
    def add(self, k, dt, n=1): self.t[k] = self.t.get(k, 0.0) + dt; self.n[k] = self.n.get(k, 0) + n
    def reset(self): self.t.clear(); self.n.clear()
    def snap(self): return dict(t=dict(self.t), n=dict(self.n))

CLOCK = Clock()

class TimedMujoco:
    "Stands in for the `mujoco` module on a scene (`scene.mj`): times every `mj_step`, passes the rest through."
    def __init__(self, mj): self._mj = mj
    def __getattr__(self, k): return getattr(self._mj, k)
    def mj_step(self, m, d, *a):
        t = time.perf_counter(); self._mj.mj_step(m, d, *a); CLOCK.add("physics", time.perf_counter() - t)

def instrument(scene):
    "Time physics (mj_step), IK (solve_ik), servo steps and renders without touching the package files."
    import para_wb.sim.expert as E
    scene.mj = TimedMujoco(scene.mj)
    orig_ik, orig_servo = E.solve_ik, E.servo_to_waypoint
    def solve_ik(*a, **k):
        t = time.perf_counter(); r = orig_ik(*a, **k); CLOCK.add("ik", time.perf_counter() - t); return r
    def servo_to_waypoint(*a, **k):
        t = time.perf_counter(); r = orig_servo(*a, **k); CLOCK.add("servo", time.perf_counter() - t); return r
    E.solve_ik, E.servo_to_waypoint = solve_ik, servo_to_waypoint
    for modname in ("para_wb.sim.demos", "para_wb.eval.loop"):   # modules that imported the names directly
        try: mod = importlib.import_module(modname)
        except ImportError: continue
        if getattr(mod, "servo_to_waypoint", None) is orig_servo: mod.servo_to_waypoint = servo_to_waypoint
        if getattr(mod, "solve_ik", None) is orig_ik: mod.solve_ik = solve_ik
    cls_render = type(scene).render
    def render():
        t = time.perf_counter(); r = cls_render(scene); CLOCK.add("render", time.perf_counter() - t); return r
    scene.render = render


def optional(modname):
    try: return importlib.import_module(modname)
    except ImportError: return None


def call_flex(fn, *args, **kwargs):
    "Call `fn` with only the keyword arguments it accepts."
    params = inspect.signature(fn).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def machine_info():
    import mujoco
    info = dict(hostname=platform.node(), platform=platform.platform(), python=platform.python_version(),
                cpu_count=os.cpu_count(), cpu_affinity=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
                mujoco=mujoco.__version__, numpy=np.__version__, MUJOCO_GL=os.environ.get("MUJOCO_GL"),
                loadavg_1_5_15=os.getloadavg())   # other processes on the machine skew the numbers
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu_model"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), None)
    except OSError: pass
    try:   # the GL renderer string (llvmpipe = software rendering); needs a current context, so ask after a render
        from OpenGL import GL
        info["gl_renderer"] = GL.glGetString(GL.GL_RENDERER).decode()
    except Exception as e: info["gl_renderer"] = f"unknown ({type(e).__name__})"
    return info


def timed_loop(fn, min_s, min_n=3, max_n=100000):
    "Run `fn()` until `min_s` seconds and `min_n` calls have passed; return (seconds per call, calls)."
    n, t0 = 0, time.perf_counter()
    while n < max_n and (n < min_n or time.perf_counter() - t0 < min_s): fn(); n += 1
    return (time.perf_counter() - t0) / n, n


# -- the benchmark ---------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--out", default=None, help="JSON result file (default bench/results/foundation_<preset>.json)")
    ap.add_argument("--n-demos", type=int, default=4)
    ap.add_argument("--n-rollouts", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0, help="seed of the random bowl positions")
    ap.add_argument("--min-seconds", type=float, default=3.0, help="minimum duration of each isolated micro-benchmark")
    args = ap.parse_args(argv)
    out = args.out or os.path.join(ROOT, "bench", "results", f"foundation_{args.preset}.json")

    import mujoco
    from para_wb.config import load_config
    from para_wb.files import save_json
    from para_wb.sim.scene import BowlPlateScene
    import para_wb.sim.expert as E
    demos_mod, eval_mod, ref_mod = optional("para_wb.sim.demos"), optional("para_wb.eval.loop"), optional("para_wb.eval.reference")

    started, t_all = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
    cfg = load_config(args.preset)
    t = time.perf_counter(); scene = BowlPlateScene(cfg); scene_build_s = time.perf_counter() - t
    instrument(scene)
    rng = np.random.default_rng(args.seed)
    n_pos = max(args.n_demos, args.n_rollouts, 2)
    positions = np.stack([rng.uniform(*cfg.scene.bowl_x_range, n_pos), rng.uniform(*cfg.scene.bowl_y_range, n_pos)], 1)
    res = dict(preset=args.preset, image_size=cfg.scene.image_size, physics_substeps=cfg.scene.physics_substeps,
               timestep_s=float(scene.model.opt.timestep), seed=args.seed, bowl_positions=positions,
               n_demos=args.n_demos, n_rollouts=args.n_rollouts, started_utc=started.isoformat(timespec="seconds"),
               scene_build_s=scene_build_s, modules=dict(demos=demos_mod is not None, evaluate=eval_mod is not None),
               model=dict(nq=scene.model.nq, nv=scene.model.nv, ngeom=scene.model.ngeom, nbody=scene.model.nbody))

    # 1. raw physics: mj_step on a copy of the settled start state (no instrumentation, no arm pinning)
    scene.reset(positions[0])
    d = mujoco.MjData(scene.model); d.qpos[:] = scene.data.qpos; d.ctrl[:] = scene.data.ctrl; mujoco.mj_forward(scene.model, d)
    for _ in range(100): mujoco.mj_step(scene.model, d)
    def hundred_steps():
        for _ in range(100): mujoco.mj_step(scene.model, d)
    s, n = timed_loop(hundred_steps, args.min_seconds)
    res["physics"] = dict(mj_step_us=s / 100 * 1e6, mj_steps_per_s=100 / s, n_steps=n * 100)

    # 2. servo steps without rendering: the expert's own waypoints (what demos and evaluation execute)
    def expert_runs(on_step, k):
        CLOCK.reset(); t = time.perf_counter(); outs, steps = [], 0
        for xy in positions[:k]:
            r = E.run_expert(scene, xy, on_step=on_step); outs.append(r.outcome); steps += r.n_steps
        return time.perf_counter() - t, steps, outs, CLOCK.snap()
    wall, steps, outs, c = expert_runs(None, 2)
    servo_s = c["t"]["servo"] / c["n"]["servo"]
    substeps = c["n"]["physics"] / c["n"]["servo"]   # includes the 150 settle steps of each reset: corrected below
    settle = 150 * 2
    phys_per_servo = (c["n"]["physics"] - settle) / c["n"]["servo"]
    res["servo_no_render"] = dict(servo_step_ms=servo_s * 1e3, servo_steps_per_s=1 / servo_s, n_servo_steps=steps,
                                  ik_ms=c["t"]["ik"] / c["n"]["ik"] * 1e3,
                                  physics_steps_per_servo=phys_per_servo,
                                  physics_ms_per_servo=(c["t"]["physics"] / c["n"]["physics"]) * phys_per_servo * 1e3,
                                  instrumented_mj_step_us=c["t"]["physics"] / c["n"]["physics"] * 1e6,
                                  expert_wall_s=wall, outcomes=outs)

    # 3. render alone (static state, warm renderer) and servo + render each step
    scene.reset(positions[0]); scene.render()
    type(scene).render(scene)
    times = []
    def one_render():
        t = time.perf_counter(); type(scene).render(scene); times.append(time.perf_counter() - t)
    s, n = timed_loop(one_render, args.min_seconds)
    render_ms = s * 1e3
    render_median_ms = float(np.median(times)) * 1e3
    wall, steps, outs, c = expert_runs(lambda sc, g: sc.render(), 2)
    res["render"] = dict(render_ms=render_ms, render_median_ms=render_median_ms, renders_per_s=1 / s, n_renders=n,
                         servo_plus_render_step_ms=(c["t"]["servo"] + c["t"]["render"]) / c["n"]["servo"] * 1e3,
                         servo_plus_render_steps_per_s=c["n"]["servo"] / (c["t"]["servo"] + c["t"]["render"]),
                         render_ms_in_loop=c["t"]["render"] / c["n"]["render"] * 1e3,
                         expert_with_render_wall_s=wall, outcomes=outs)

    # 4. demo recording
    import tempfile
    CLOCK.reset(); per_demo, demo_steps, outcomes, write_s = [], [], [], []
    tmpdir = tempfile.mkdtemp(prefix="bench_demos_")
    write_part = getattr(optional("para_wb.dataset"), "write_demo_part", None)
    if demos_mod is not None and hasattr(demos_mod, "record_expert_demo"):
        how = "para_wb.sim.demos.record_expert_demo"
        for i, xy in enumerate(positions[:args.n_demos]):
            n0 = CLOCK.n.get("servo", 0); t = time.perf_counter()
            demo = call_flex(demos_mod.record_expert_demo, scene, xy, seed=args.seed + i, distractor_seed=args.seed + i)
            per_demo.append(time.perf_counter() - t)
            if write_part is not None:   # what the dataset generators do next: one HDF5 part per demo
                t = time.perf_counter(); write_part(demo, os.path.join(tmpdir, f"part_{i:05d}.h5"), cfg); write_s.append(time.perf_counter() - t)
            n_rec = None
            for attr in ("n_steps", "images", "eef_pos", "actions"):
                v = demo.get(attr) if isinstance(demo, dict) else getattr(demo, attr, None)
                if v is not None: n_rec = int(v) if np.isscalar(v) else len(v); break
            demo_steps.append(n_rec if n_rec is not None else CLOCK.n.get("servo", 0) - n0)
            o = demo.get("outcome") if isinstance(demo, dict) else getattr(demo, "outcome", None)
            outcomes.append(o)
    else:
        how = "run_expert + scene.render() per step (para_wb.sim.demos not available)"
        for xy in positions[:args.n_demos]:
            imgs = []; t = time.perf_counter()
            r = E.run_expert(scene, xy, on_step=lambda sc, g: imgs.append((sc.render(), sc.eef_pos(), g)))
            per_demo.append(time.perf_counter() - t); demo_steps.append(len(imgs)); outcomes.append(r.outcome)
    c = CLOCK.snap(); total, nrec = sum(per_demo), sum(demo_steps)
    tt = c["t"]
    ik_s, phys_s, rend_s = tt.get("ik", 0.0), tt.get("physics", 0.0), tt.get("render", 0.0)
    book_s = total - ik_s - phys_s - rend_s   # python around IK/physics, resets' bookkeeping, storing the demo
    res["demos"] = dict(how=how, demos_per_min=60 * len(per_demo) / total, s_per_demo=per_demo, steps_per_demo=demo_steps,
                        outcomes=outcomes, servo_steps=c["n"].get("servo", 0), renders=c["n"].get("render", 0),
                        pipeline_ms_per_step=total / nrec * 1e3,
                        components_ms_per_step=dict(ik=ik_s / nrec * 1e3, physics=phys_s / nrec * 1e3,
                                                    render=rend_s / nrec * 1e3,
                                                    recording_bookkeeping=book_s / nrec * 1e3),
                        write_part_ms_per_step=(sum(write_s) / nrec * 1e3) if write_s else None)
    import shutil; shutil.rmtree(tmpdir, ignore_errors=True)
    # figure of merit: pipeline time per recorded step / (isolated render + isolated servo step)
    iso = render_ms + res["servo_no_render"]["servo_step_ms"]
    iso_strict = render_ms + res["physics"]["mj_step_us"] / 1e3 * phys_per_servo
    res["merit"] = dict(ratio=res["demos"]["pipeline_ms_per_step"] / iso, target=1.5,
                        ok=bool(res["demos"]["pipeline_ms_per_step"] / iso <= 1.5),
                        isolated_ms_per_step=iso, ratio_vs_render_plus_raw_physics=res["demos"]["pipeline_ms_per_step"] / iso_strict,
                        render_plus_raw_physics_ms=iso_strict,
                        # the same pipeline time over the IK + physics + render time measured inside that very run:
                        # insensitive to load changes between the isolated and the pipeline measurements
                        ratio_vs_own_components=total / (ik_s + phys_s + rend_s),
                        ratio_incl_hdf5_write=((total + sum(write_s)) / nrec * 1e3 / iso) if write_s else None)

    # 5. evaluator rollouts with the oracle policy
    if eval_mod is not None and hasattr(eval_mod, "teleport_servo_rollout") and ref_mod is not None:
        CLOCK.reset(); per, outs, steps, preds = [], [], [], []
        for i, xy in enumerate(positions[:args.n_rollouts]):
            policy = call_flex(ref_mod.ExpertOraclePolicy, scene=scene, cfg=cfg)
            t = time.perf_counter()
            r = call_flex(eval_mod.teleport_servo_rollout, scene, policy, xy, seed=args.seed + i, distractor_seed=args.seed + i)
            per.append(time.perf_counter() - t)
            outs.append(r.get("outcome") if isinstance(r, dict) else getattr(r, "outcome", None))
            st = r.get("n_steps") if isinstance(r, dict) else getattr(r, "n_steps", None)
            steps.append(st); preds.append(getattr(r, "n_predictions", None))
        c = CLOCK.snap()
        res["eval"] = dict(rollouts_per_min=60 * len(per) / sum(per), s_per_rollout=per, outcomes=outs, steps_per_rollout=steps,
                           predictions_per_rollout=preds, execute_per_prediction=cfg.eval.execute_per_prediction,
                           servo_steps=c["n"].get("servo", 0), renders=c["n"].get("render", 0),
                           ms_per_servo_step=sum(per) / max(1, c["n"].get("servo", 0)) * 1e3)
    else:
        res["eval"] = dict(skipped="para_wb.eval.loop / para_wb.eval.reference not available")

    res["machine"] = machine_info()
    res["total_s"] = time.perf_counter() - t_all
    res["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    scene.close()
    save_json(out, res)
    print_summary(res, out)
    return res


def print_summary(r, out):
    d, m = r["demos"], r["merit"]
    rows = [
        ("preset / image", f"{r['preset']} / {r['image_size']} px"),
        ("mj_step", f"{r['physics']['mj_step_us']:.1f} us  ({r['physics']['mj_steps_per_s']:.0f} steps/s)"),
        ("servo step, no render", f"{r['servo_no_render']['servo_step_ms']:.2f} ms  ({r['servo_no_render']['servo_steps_per_s']:.0f}/s; "
                                   f"IK {r['servo_no_render']['ik_ms']:.2f} ms, {r['servo_no_render']['physics_steps_per_servo']:.1f} mj_steps)"),
        ("render", f"{r['render']['render_ms']:.2f} ms mean, {r['render']['render_median_ms']:.2f} ms median  ({r['render']['renders_per_s']:.1f}/s)"),
        ("servo + render", f"{r['render']['servo_plus_render_step_ms']:.2f} ms  ({r['render']['servo_plus_render_steps_per_s']:.1f} steps/s)"),
        ("demos", f"{d['demos_per_min']:.1f} demos/min, {np.mean(d['steps_per_demo']):.0f} steps/demo  [{d['how']}]"),
        ("demo step components", ", ".join(f"{k} {v:.2f}" for k, v in d["components_ms_per_step"].items()) + " ms"),
        ("hdf5 part write", f"{d['write_part_ms_per_step']:.2f} ms/step (merit incl. write {m['ratio_incl_hdf5_write']:.3f})"
                            if d.get("write_part_ms_per_step") is not None else "not measured"),
        ("figure of merit", f"{m['ratio']:.3f}  (pipeline {d['pipeline_ms_per_step']:.2f} ms / isolated {m['isolated_ms_per_step']:.2f} ms; "
                            f"target <= 1.5 {'OK' if m['ok'] else 'MISSED'}; "
                            f"vs its own ik+physics+render {m['ratio_vs_own_components']:.3f})"),
        ("eval (oracle)", f"{r['eval']['rollouts_per_min']:.1f} rollouts/min, outcomes {r['eval']['outcomes']}" if "rollouts_per_min" in r["eval"]
                          else r["eval"]["skipped"]),
        ("machine", f"{r['machine'].get('cpu_model')} x{r['machine']['cpu_count']}, mujoco {r['machine']['mujoco']}, "
                    f"MUJOCO_GL={r['machine']['MUJOCO_GL']}, GL {r['machine'].get('gl_renderer')}, "
                    f"load {r['machine']['loadavg_1_5_15'][0]:.2f}"),
        ("total", f"{r['total_s']:.1f} s -> {out}"),
    ]
    w = max(len(k) for k, _ in rows)
    for k, v in rows: print(f"{k:<{w}}  {v}")


if __name__ == "__main__":
    main()
