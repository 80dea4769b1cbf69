# lit configuration of attngen: FileCheck tests over attngen-opt.
import os

import lit.formats

config.name = "attngen"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attngen_obj_root, "tests", "lit")

# FileCheck and not come from LLVM; attngen-opt and attngen from this build
# (tests name them plainly, as LLVM tests do).
llvm_tools = getattr(config, "llvm_tools_dir", "") or "/usr/lib/llvm-22/bin"
config.environment["PATH"] = os.pathsep.join(
    [config.attngen_tools_dir, llvm_tools, config.environment.get("PATH", "")])
config.substitutions.append(("%FileCheck", os.path.join(llvm_tools, "FileCheck")))
config.substitutions.append(("%not", os.path.join(llvm_tools, "not")))
