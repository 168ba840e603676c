"""Build the Cython kernels of neurocycle.core; everything else is in pyproject.toml."""
import glob
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        f"neurocycle.core.{os.path.splitext(os.path.basename(path))[0]}",
        [path],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for path in sorted(glob.glob("cython_core/*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["cython_core"],   # shared inline kernels: cython_core/_fixed.pxd
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
    )
)
