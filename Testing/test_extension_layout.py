"""The Slicer extension's layout: CMake lists, module files, .ui bindings, icons, extension description.

What the desktop build would find out late (a file not installed, a widget bound to no
parameter, a missing icon) is checked here, without Slicer.
"""

import ast
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("GliomaAI", "GliomaAISegment", "GliomaAIExplain")


def _cmake(path: Path) -> str:
    """The CMake file without comments."""
    return "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())


def _cmake_set(text: str, variable: str) -> list:
    match = re.search(rf"set\(\s*{variable}\b(.*?)\)", text, re.S)
    return match.group(1).split() if match else []


def _cmake_string(text: str, variable: str) -> str:
    match = re.search(rf'set\(\s*{variable}\s+"(.*?)"\s*\)', text, re.S)
    assert match, f"{variable} is not set"
    return match.group(1)


class Module:
    def __init__(self, name: str):
        self.name = name
        self.folder = ROOT / name
        self.cmake = _cmake(self.folder / "CMakeLists.txt")
        names = _cmake_set(self.cmake, "MODULE_NAME")
        self.module_name = names[0] if names else None

        def expand(item):
            return item.replace("${MODULE_NAME}", name).replace("${CMAKE_CURRENT_SOURCE_DIR}/", "")

        self.scripts = [expand(s) for s in _cmake_set(self.cmake, "MODULE_PYTHON_SCRIPTS")]
        self.resources = [expand(s) for s in _cmake_set(self.cmake, "MODULE_PYTHON_RESOURCES")]
        self.unittests = [expand(s) for s in re.findall(r"slicer_add_python_unittest\(\s*SCRIPT\s+([^\s)]+)", self.cmake)]
        self.source = (self.folder / f"{name}.py").read_text()
        self.tree = ast.parse(self.source)
        self.ui = ET.parse(self.folder / "Resources" / "UI" / f"{name}.ui").getroot()

    def python_files(self) -> list:
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*.py") if "__pycache__" not in p.parts)

    def resource_files(self) -> list:
        files = [p for p in (self.folder / "Resources").rglob("*") if p.is_file()]
        files += [p for p in self.folder.glob("gliomaai/models/builtin/*") if p.suffix in (".json", ".pt")]
        return sorted(str(p.relative_to(self.folder)) for p in files)

    def classes(self) -> dict:
        return {node.name: node for node in self.tree.body if isinstance(node, ast.ClassDef)}

    def parameter_names(self) -> set:
        for node in self.classes().values():
            if any(getattr(d, "id", None) == "parameterNodeWrapper" for d in node.decorator_list):
                return {item.target.id for item in node.body if isinstance(item, ast.AnnAssign)}
        raise AssertionError(f"{self.name}.py has no @parameterNodeWrapper class")

    def ui_widgets(self) -> dict:
        return {w.get("name"): w for w in self.ui.iter("widget")}

    def ui_bindings(self) -> dict:
        bindings = {}
        for widget in self.ui.iter("widget"):
            for prop in widget.findall("property"):
                if prop.get("name") == "SlicerParameterName":
                    bindings[prop.findtext("string")] = widget
        return bindings


@pytest.fixture(params=MODULES)
def module(request):
    return Module(request.param)


def test_every_python_file_is_listed_and_every_listed_file_exists(module):
    assert module.module_name == module.name
    listed = module.scripts + module.unittests
    assert len(listed) == len(set(listed)), f"{module.name}: listed twice: {[s for s in listed if listed.count(s) > 1]}"
    unlisted = [p for p in module.python_files() if p not in listed]
    assert not unlisted, f"{module.name}/CMakeLists.txt does not list {unlisted} (add them to MODULE_PYTHON_SCRIPTS)"
    missing = [p for p in listed if not (module.folder / p).is_file()]
    assert not missing, f"{module.name}/CMakeLists.txt lists files that do not exist: {missing}"
    assert f"{module.name}.py" in module.scripts


def test_every_resource_is_listed_and_exists(module):
    assert sorted(module.resources) == module.resource_files(), f"{module.name}: MODULE_PYTHON_RESOURCES"
    assert f"Resources/Icons/{module.name}.png" in module.resources
    assert f"Resources/UI/{module.name}.ui" in module.resources


def test_module_is_built_and_self_tested_the_slicer_way(module):
    assert re.search(r"slicerMacroBuildScriptedModule\(\s*NAME \$\{MODULE_NAME\}\s+SCRIPTS \$\{MODULE_PYTHON_SCRIPTS\}"
                     r"\s+RESOURCES \$\{MODULE_PYTHON_RESOURCES\}", module.cmake)
    testing = re.search(r"if\(BUILD_TESTING\)(.*?)endif\(\)", module.cmake, re.S)
    assert testing and "slicer_add_python_unittest" in testing.group(1)
    assert module.unittests == [f"Testing/Python/{module.name}SelfTest.py"]
    self_test = ast.parse((module.folder / module.unittests[0]).read_text())
    test_classes = [c for c in self_test.body if isinstance(c, ast.ClassDef)]
    assert [c.name for c in test_classes] == [f"{module.name}SelfTest"]
    assert [b.id for b in test_classes[0].bases] == ["ScriptedLoadableModuleTest"]
    checks = f"{module.name}Lib" if module.name != "GliomaAI" else "GliomaAILib"
    assert f"from {checks} import" in (module.folder / module.unittests[0]).read_text() or \
        f"from {checks}.checks import" in (module.folder / module.unittests[0]).read_text()


def test_module_file_follows_the_scripted_module_template(module):
    classes = module.classes()
    for suffix, base in (("", "ScriptedLoadableModule"), ("Widget", "ScriptedLoadableModuleWidget"),
                         ("Logic", "ScriptedLoadableModuleLogic"), ("Test", "ScriptedLoadableModuleTest")):
        assert f"{module.name}{suffix}" in classes, f"{module.name}.py lacks class {module.name}{suffix}"
        assert base in [getattr(b, "id", None) for b in classes[f"{module.name}{suffix}"].bases]
    init = ast.get_source_segment(module.source, classes[module.name])
    for attribute in ("title", "categories", "dependencies", "contributors", "helpText", "acknowledgementText"):
        assert f"self.parent.{attribute} =" in init, f"{module.name}: parent.{attribute} is not set"
    assert 'self.parent.categories = ["GliomaAI"]' in init
    assert 'self.parent.contributors = ["GliomaAI developers"]' in init
    expected_dependencies = "[]" if module.name == "GliomaAI" else '["GliomaAI"]'
    assert f"self.parent.dependencies = {expected_dependencies}" in init
    widget = ast.get_source_segment(module.source, classes[f"{module.name}Widget"])
    assert f'self.resourcePath("UI/{module.name}.ui")' in widget
    # The parameter node is bound to the panel (connectGui) by the shared mixin.
    assert "ParameterNodeWidgetMixin" in [getattr(b, "id", None) for b in classes[f"{module.name}Widget"].bases]


def test_ui_binds_exactly_the_parameters(module):
    assert module.ui.tag == "ui" and module.ui.findtext("class") == module.name
    top = module.ui.find("widget")
    assert (top.get("class"), top.get("name")) == ("qMRMLWidget", module.name)
    bindings = module.ui_bindings()
    assert set(bindings) == module.parameter_names(), \
        f"{module.name}.ui binds {sorted(bindings)}, the parameter node has {sorted(module.parameter_names())}"
    classes = {w.get("class") for w in module.ui.iter("widget")}
    assert "ctkCollapsibleButton" in classes and "qMRMLNodeComboBox" in classes and "QPushButton" in classes


def test_ui_widgets_the_module_uses_exist(module):
    used = set(re.findall(r"self\.ui\.(\w+)", module.source))
    missing = used - set(module.ui_widgets())
    assert not missing, f"{module.name}.py uses widgets that {module.name}.ui lacks: {sorted(missing)}"


def test_node_selectors_get_the_scene(module):
    combos = {name for name, w in module.ui_widgets().items() if w.get("class") == "qMRMLNodeComboBox"}
    connected = {c.findtext("receiver") for c in module.ui.iter("connection")
                 if c.findtext("signal") == "mrmlSceneChanged(vtkMRMLScene*)"
                 and c.findtext("slot") == "setMRMLScene(vtkMRMLScene*)" and c.findtext("sender") == module.name}
    assert combos <= connected, f"{module.name}.ui: selectors without the scene: {sorted(combos - connected)}"
    assert connected <= set(module.ui_widgets()), f"{module.name}.ui: connections to no widget"
    declared = {c.findtext("class") for c in module.ui.iter("customwidget")}
    used = {w.get("class") for w in module.ui.iter("widget")} - {"QLabel", "QPushButton", "QComboBox", "QCheckBox",
                                                                  "QLineEdit", "QSpinBox"}
    assert used <= declared, f"{module.name}.ui: custom widgets not declared: {sorted(used - declared)}"


def test_icon_is_a_128_pixel_png(module):
    data = (module.folder / "Resources" / "Icons" / f"{module.name}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (128, 128)


def test_lib_packages_are_qt_free(module):
    lib = module.folder / f"{module.name}Lib"
    assert (lib / "__init__.py").is_file()
    for path in lib.rglob("*.py"):
        imports = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {a.name.split(".")[0] for n in imports if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module.split(".")[0] for n in imports if isinstance(n, ast.ImportFrom) and n.module}
        assert not names & {"qt", "ctk", "PythonQt"}, f"{path.relative_to(ROOT)} imports Qt"
        text = path.read_text()
        for desktop_only in ("slicer.app", "ScriptedLoadableModule", "parameterNodeWrapper", "slicer.mrmlScene"):
            assert desktop_only not in text, f"{path.relative_to(ROOT)} uses {desktop_only}: pass the scene in instead"


def test_extension_description_agrees_with_cmake():
    top = _cmake(ROOT / "CMakeLists.txt")
    assert re.search(r"cmake_minimum_required\(", top) and re.search(r"project\(GliomaAI\)", top)
    assert re.findall(r"add_subdirectory\((\w+)\)", top) == list(MODULES)
    for include in ("${Slicer_USE_FILE}", "${Slicer_EXTENSION_GENERATE_CONFIG}", "${Slicer_EXTENSION_CPACK}"):
        assert f"include({include})" in top
    assert "find_package(Slicer REQUIRED)" in top
    s4ext = {}
    for line in (ROOT / "GliomaAI.s4ext").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(" ")
            s4ext[key] = value.strip()
    assert s4ext["scm"] == "git" and s4ext["scmurl"].startswith(s4ext["homepage"])
    assert s4ext["homepage"] == _cmake_string(top, "EXTENSION_HOMEPAGE")
    assert s4ext["category"] == _cmake_string(top, "EXTENSION_CATEGORY")
    assert s4ext["contributors"] == _cmake_string(top, "EXTENSION_CONTRIBUTORS") == "GliomaAI developers"
    assert s4ext["description"] == _cmake_string(top, "EXTENSION_DESCRIPTION")
    assert s4ext["iconurl"] == _cmake_string(top, "EXTENSION_ICONURL")
    assert s4ext["iconurl"].endswith("GliomaAI/Resources/Icons/GliomaAI.png")
    assert s4ext["depends"] == _cmake_string(top, "EXTENSION_DEPENDS") == "PyTorch"
    assert s4ext.get("screenshoturls", "") == _cmake_string(top, "EXTENSION_SCREENSHOTURLS")
    assert s4ext["status"] and s4ext["enabled"] == "1"
