# complaintflow under gunicorn. Configuration comes from the environment (see compose.yaml):
# DATABASE_URL, COMPLAINTFLOW_SECRET_KEY, COMPLAINTFLOW_FIELD_ENCRYPTION_KEY.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml setup.cfg README.md ./
COPY engine ./engine
COPY handlers ./handlers
COPY webapp ./webapp
COPY processes ./processes
# Installed in place: the bundled diagrams (processes/) and the instance folder stay beside the code.
RUN pip install -e . \
    && useradd --system --uid 10001 --home-dir /app complaintflow \
    && mkdir -p /app/instance && chown complaintflow /app/instance

USER complaintflow
VOLUME /app/instance
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/login', timeout=4)"
CMD ["complaintflow", "serve", "--host", "0.0.0.0", "--port", "8000"]
