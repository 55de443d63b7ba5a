FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

RUN useradd --create-home --uid 10001 chatelly
# Only the runtime set (requirements.txt, every package pinned with its hashes);
# tests, lint and profiling tools live in requirements-dev.txt, outside the image.
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes -r requirements.txt
COPY . .
# Static files are collected at build time (development settings need no secrets).
RUN DJANGO_ENV=development DJANGO_STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R chatelly /app/media

USER chatelly
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# uvicorn: on SIGTERM it stops accepting, finishes in-flight requests and closes
# sockets with 1012 so clients reconnect elsewhere and resume (docs/operations.md).
# --ws-max-size: frames above 128 KiB are refused (1009) before the app reads
# them (its own limit is 32,000 characters; raise both with CHATELLY_MAX_MESSAGE_CHARS).
CMD ["uvicorn", "chatelly.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--ws-max-size", "131072", \
     "--no-proxy-headers", \
     "--lifespan", "off", "--timeout-graceful-shutdown", "20", "--no-access-log"]
