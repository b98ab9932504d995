"""A non-editable install (a wheel) carries everything the app needs to start: the shipped
processes (diagrams, DMN, forms, bundled.json), templates, static files, translations and the
schema migrations. The test builds the wheel from a copy of the source, installs it with pip
into an empty folder, and starts the app from there in a fresh interpreter that cannot see this
checkout (the dependencies come from the running venv's site-packages)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("engine", "handlers", "webapp", "processes", "setup.cfg", "pyproject.toml", "README.md")

START_FROM_WHEEL = textwrap.dedent("""
    import json, sys, tempfile
    import engine, processes, webapp
    from webapp import create_app
    db = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///" + db + "/cf.db", "SECRET_KEY": "s",
                      "FIELD_ENCRYPTION_KEY": "tUe1Wl2QpZ7Xq4n9yC3v8bR5mK0aH6sJ1dF2gL7pQwE="})
    client = app.test_client()
    home = client.get("/?lang=zh_CN")
    types = client.get("/api/v1/public/types").get_json()
    print(json.dumps({
        "files": [engine.__file__, processes.__file__, webapp.__file__],
        "home": home.status_code, "home_zh": "提交投诉" in home.get_data(as_text=True),
        "css": client.get("/static/css/app.css").status_code,
        "types": sorted(t["key"] for t in types),
        "forms": all(t["intake_form"].get("properties") for t in types),
    }))
""")


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "instance")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    wheels = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(wheels)], check=True, capture_output=True, timeout=120)
    (wheel,) = wheels.glob("complaintflow-*.whl")
    return wheel


def test_the_wheel_ships_the_processes_and_starts_the_app(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {"processes/complaint.bpmn", "processes/tender_complaint.bpmn", "processes/whistleblower.bpmn",
               "processes/complaint_routing.dmn", "processes/bundled.json", "processes/forms/complaint/intake.json",
               "processes/forms/tender_complaint/intake.json", "processes/forms/internal_report/intake.json",
               "webapp/templates/base.html", "webapp/static/css/app.css",
               "webapp/translations/zh_CN/LC_MESSAGES/messages.mo", "engine/migrations/env.py",
               "engine/migrations/versions/0001_initial_schema.py"}
    assert shipped <= names, sorted(shipped - names)
    assert not any(n.startswith("tests/") for n in names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, timeout=120)
    assert (site / "bin" / "complaintflow").exists()  # the console script

    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-c", START_FROM_WHEEL], cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    started = json.loads(run.stdout.strip().splitlines()[-1])
    assert all(f.startswith(str(site)) for f in started["files"]), started["files"]  # not this checkout
    assert started["home"] == 200 and started["home_zh"] and started["css"] == 200
    assert started["types"] == ["complaint", "internal_report", "tender_complaint"]
    assert started["forms"]
