"The planted-bug list of bench/bench_mutation.py stays applicable: every mutant's snippet occurs exactly once in its module, so a refactor that moves or re-indents the code cannot silently retire a mutant."
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mutants():
    spec = importlib.util.spec_from_file_location("bench_mutation", ROOT / "bench" / "bench_mutation.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod.MUTANTS


def test_every_mutant_snippet_occurs_once():
    mutants = _mutants()
    assert len(mutants) >= 20, len(mutants)
    bad = [(name, path, (ROOT / path).read_text().count(old)) for name, path, old, new, _ in mutants
           if (ROOT / path).read_text().count(old) != 1]
    assert not bad, f"mutants whose snippet does not occur exactly once (update bench/bench_mutation.py MUTANTS): {bad}"
    assert all(old != new for _, _, old, new, _ in mutants)
