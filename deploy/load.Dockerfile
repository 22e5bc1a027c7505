# The Locust image of the docker-compose `load` profile: sapchaos (for the locustfiles'
# helpers and the oracle) plus Locust. Built from the repository root:
#   docker compose --profile load up --build
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY sapchaos ./sapchaos
COPY bridge ./bridge
COPY fakesap ./fakesap
COPY fakeshop ./fakeshop
COPY scenarios ./scenarios
COPY load ./load
RUN pip install --no-cache-dir '.[load]'
ENTRYPOINT ["sapchaos"]
CMD ["load", "--help"]
