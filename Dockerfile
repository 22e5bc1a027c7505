# One image for every sapchaos role (fakesap, fakeshop, bridge, scenarios); the command picks the role.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY sapchaos ./sapchaos
COPY bridge ./bridge
COPY fakesap ./fakesap
COPY fakeshop ./fakeshop
COPY scenarios ./scenarios
RUN pip install --no-cache-dir '.[postgres]'
ENTRYPOINT ["sapchaos"]
CMD ["--help"]
