"""Configuration: the embedded default, and production's refusals and checks."""

import secrets

import pytest

from testsupport.servers import run_manage, run_python, server_env

PRODUCTION_SECRETS = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/chatelly",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "chat.example.com",
    "EMAIL_URL": "smtp+tls://chat%40example.com:pw@smtp.example.com:587",
    "CHATELLY_PUBLIC_URL": "https://chat.example.com",
}

SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'cache': s.CACHES['default']['BACKEND'], "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'age': s.DATABASES['default'].get('CONN_MAX_AGE'), "
    "'health': s.DATABASES['default'].get('CONN_HEALTH_CHECKS'), 'debug': s.DEBUG, "
    "'pool': s.DATABASES['default'].get('OPTIONS', {}).get('pool')}))"
)


def bare_env(**extra):
    env = server_env(DATABASE_URL=None, REDIS_URL=None, CHATELLY_CACHE_PREFIX=None)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def test_nothing_set_means_the_embedded_default():
    import json

    result = run_python(SHOW, bare_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "db": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "layer": "channels.layers.InMemoryChannelLayer",
        "age": 0,
        "health": False,
        "debug": False,
        "pool": None,
    }


def test_urls_switch_to_postgres_and_redis():
    import json

    env = bare_env(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/0")
    shown = json.loads(run_python(SHOW, env).stdout)
    assert shown["db"] == "django.db.backends.postgresql"
    assert shown["cache"] == "chatelly.cache.RedisCache"
    assert shown["layer"] == "chatelly.channel_layer.RedisPubSubChannelLayer"
    # A connection pool per process, not a persistent connection per thread.
    assert shown["age"] == 0 and shown["pool"] == {"min_size": 2, "max_size": 20, "timeout": 2.0}
    env["DJANGO_DB_POOL"] = "false"  # behind PgBouncer
    shown = json.loads(run_python(SHOW, env).stdout)
    assert shown["pool"] is None and shown["age"] == 60 and shown["health"] is True


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = bare_env(**PRODUCTION_SECRETS)
    env.pop(missing)
    result = run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize("ssl_redirect", ["true", "false"])
def test_production_passes_check_deploy(ssl_redirect):
    env = bare_env(**PRODUCTION_SECRETS, DJANGO_SECURE_SSL_REDIRECT=ssl_redirect)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dev_key_fails_check_deploy():
    """The check is real: production with a weak key does not pass."""
    env = bare_env(**{**PRODUCTION_SECRETS, "DJANGO_SECRET_KEY": "short"})
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_proxy_tls_sets_the_forwarded_proto_header():
    env = bare_env(**PRODUCTION_SECRETS, DJANGO_SECURE_SSL_REDIRECT="false")
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)"
    assert "HTTP_X_FORWARDED_PROTO" in run_python(code, env).stdout


def test_an_unknown_environment_name_is_refused():
    result = run_python("import django; django.setup()", bare_env(DJANGO_ENV="staging"))
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


def test_scaling_out_settings():
    import json

    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'hosts': s.CHANNEL_LAYERS['default']['CONFIG']['hosts'], "
        "'cursors': s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'], 'age': s.DATABASES['default']['CONN_MAX_AGE'], "
        "'prepare': s.DATABASES['default']['OPTIONS'].get('prepare_threshold', 'unset')}))"
    )
    base = {"DATABASE_URL": "postgres://postgres@127.0.0.1:6432/x", "REDIS_URL": "redis://r0:6379/0"}
    sharded = json.loads(
        run_python(
            code,
            bare_env(
                **base,
                CHATELLY_CHANNEL_REDIS_URLS="redis://r1:6379/0,redis://r2:6379/0",
                DJANGO_DISABLE_SERVER_SIDE_CURSORS="true",
                DJANGO_CONN_MAX_AGE="0",
            ),
        ).stdout
    )
    # Behind PgBouncer nothing is prepared (Django's default, unset, is "never").
    assert sharded == {
        "hosts": ["redis://r1:6379/0", "redis://r2:6379/0"],
        "cursors": True,
        "age": 0,
        "prepare": "unset",
    }
    sentinel = json.loads(
        run_python(
            code,
            bare_env(
                **base,
                CHATELLY_CHANNEL_SENTINELS="s1:26379,s2:26379",
                CHATELLY_CHANNEL_SENTINEL_MASTER="chat",
            ),
        ).stdout
    )
    assert sentinel["hosts"] == [{"sentinels": [["s1", 26379], ["s2", 26379]], "master_name": "chat"}]
    direct = json.loads(run_python(code, bare_env(**base)).stdout)
    assert direct["hosts"] == ["redis://r0:6379/0"] and direct["prepare"] == 5


@pytest.mark.parametrize(
    ("unset", "code"), [("EMAIL_URL", "chatelly.W201"), ("CHATELLY_PUBLIC_URL", "chatelly.W202")]
)
def test_production_without_email_settings_fails_check_deploy(unset, code):
    env = bare_env(**PRODUCTION_SECRETS)
    env.pop(unset)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert code in result.stdout + result.stderr


def test_production_with_in_process_jobs_fails_check_deploy():
    env = bare_env(**PRODUCTION_SECRETS, CHATELLY_JOBS_EAGER="true")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert "chatelly.W203" in result.stdout + result.stderr


EMAIL = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.EMAIL_BACKEND.rsplit('.', 2)[-2], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
    "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL]))"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, ["console", "localhost", 25, "", "", False, False]),
        ("consolemail://", ["console", "localhost", 25, "", "", False, False]),
        ("smtp://u:p@mx.example.com:25", ["smtp", "mx.example.com", 25, "u", "p", False, False]),
        (
            "smtp+tls://a%40b.com:p%2Fw@mx.example.com:587",
            ["smtp", "mx.example.com", 587, "a@b.com", "p/w", True, False],
        ),
        ("smtps://u:p@mx.example.com:465", ["smtp", "mx.example.com", 465, "u", "p", False, True]),
        ("smtp+ssl://u:p@mx.example.com:465", ["smtp", "mx.example.com", 465, "u", "p", False, True]),
    ],
)
def test_email_url_sets_django_email_backend(url, expected):
    import json

    env = bare_env(**({"EMAIL_URL": url} if url else {}))
    assert json.loads(run_python(EMAIL, env).stdout) == expected
