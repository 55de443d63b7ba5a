"""The production stack file holds what README's "Deployment" and deploy/README.md describe."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_compose_has_the_production_services_with_health_checks_and_restarts():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    names = ("postgres", "redis", "web1", "web2", "worker-beat", "worker", "nginx")
    assert set(names) <= set(services)
    for name in names:
        assert services[name].get("healthcheck", {}).get("test"), name
        assert services[name].get("restart") == "unless-stopped", name
    assert services["web1"]["environment"]["DJANGO_ENV"] == "production"
    # Exactly one worker runs the periodic jobs; the other kind scales.
    beats = [name for name, service in services.items() if "--beat" in service.get("command", [])]
    assert beats == ["worker-beat"]
    assert services["worker"]["command"][:3] == ["python", "manage.py", "worker"]
    assert "celery" in " ".join(services["worker"]["healthcheck"]["test"])
    # No secret is written into the file itself.
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "JWT_SIGNING_KEY"):
        assert f"{secret}:" not in text and f"{secret}=" not in text
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade" in nginx
    assert "server web1:8000" in nginx and "server web2:8000" in nginx


def test_compose_config_validates_where_a_compose_client_exists(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    (tmp_path / "Dockerfile").write_text((ROOT / "Dockerfile").read_text())
    commands = []
    if shutil.which("docker-compose"):
        commands.append(["docker-compose", "config", "-q"])
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        commands.append([docker, "compose", "config", "-q"])
    if not commands:
        if os.environ.get("CI"):
            pytest.fail("CI must validate docker-compose.yml with a compose client (make system-deps)")
        pytest.skip("no docker compose client here (make system-deps installs Debian's docker-compose)")
    for command in commands:
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
