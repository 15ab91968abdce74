__version__ = "0.1.0"

# Hand-kept (nbdev only rewrites __version__ above). Mesa's software OpenGL (llvmpipe, used for headless EGL
# rendering) and Triton (imported by torch/timm/torchvision through torch._dynamo) each bundle their own LLVM:
# importing Triton *after* an EGL context exists segfaults the process. Importing para_wb loads Triton first
# (≈0.1 s, only if it is installed). Regression test: nbs/sim/03_scene.ipynb (slow cell).
def _load_triton_before_mesa():
    import importlib.util
    if importlib.util.find_spec("triton") is not None:
        try: import triton  # noqa: F401
        except Exception: pass

_load_triton_before_mesa()
