"""Write deploy/k8s/base/<service>/ for one service: `python deploy/k8s/scaffold.py payments 8004`.

Adding a service to the Kubernetes deployment is this directory plus one line in
base/kustomization.yaml (`- payments`); the overlays patch every Deployment and HPA by kind, so
they need nothing. Edit the generated files freely afterwards (e.g. the gateway's extra settings).
Standard library only.
"""

from __future__ import annotations

import sys
from pathlib import Path

BASE = Path(__file__).parent / "base"

# Requests and memory limits per container, from `python -m bench service_resources` (bench/README.md,
# "service_resources"; deploy/README.md, "Resources"): the CPU request is the loaded CPU of one
# process, the memory request its loaded peak RSS (the whole process tree: decoders included), the
# limit room for a burst (photo services: two decodes of a 40-megapixel photo). No CPU limit: a
# throttled process answers late; the HPA scales on CPU against the request.
# (cpu request, memory request, memory limit)
MEASURED = {
    "gateway": ("100m", "160Mi", "256Mi"),
    "errand": ("150m", "224Mi", "768Mi"),
    "reports": ("200m", "384Mi", "768Mi"),
    "forum": ("150m", "256Mi", "512Mi"),
}
# A service not measured yet (e.g. a new one from this scaffold): measure it, then add it above.
UNMEASURED = ("100m", "256Mi", "512Mi")
# The init container (`python -m <service> migrate`): peak RSS 119-154 MiB measured, a few seconds.
MIGRATE = ("100m", "160Mi", "256Mi")


def resources(cpu: str, memory: str, limit: str) -> str:
    return f"""            requests:
              cpu: {cpu}
              memory: {memory}
            limits:
              memory: {limit}"""


# Services other than the gateway get only the public half of the JWT key pair.
PUBLIC_ONLY = """
            items:
              - key: jwt_public_key
                path: jwt_public_key"""


def files(service: str, port: int, prefix: str) -> dict[str, str]:
    labels = f"""app.kubernetes.io/name: {service}
    app.kubernetes.io/part-of: weilinli"""
    is_gateway = service == "gateway"
    private_key_mount = (
        """
            - name: jwt
              mountPath: /run/secrets/jwt_private_key
              subPath: jwt_private_key"""
        if is_gateway
        else ""
    )
    ingress_from = (
        """    # The gateway is the only door: from the ingress controller (and Prometheus, below).
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx"""
        if is_gateway
        else """    # Services accept only the gateway.
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: gateway"""
    )
    return {
        "kustomization.yaml": """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - configmap.yaml
  - secret.yaml
  - deployment.yaml
  - service.yaml
  - hpa.yaml
  - pdb.yaml
  - networkpolicy.yaml
""",
        "configmap.yaml": f"""# Settings that are not secrets: {prefix}<FIELD> of {service}'s Settings.
apiVersion: v1
kind: ConfigMap
metadata:
  name: {service}-config
  labels:
    {labels}
data:
  {prefix}ENVIRONMENT: production
  {prefix}HTTP_HOST: 0.0.0.0
  {prefix}HTTP_PORT: "{port}"
  {prefix}LOG_LEVEL: INFO
  {prefix}JWT_PUBLIC_KEY_FILE: /run/secrets/jwt_public_key
  # Many small pools (deploy/README.md, "Database connections"): 4 + 2 pooled, + LISTEN
  # + migration = 8 per pod; prefetch 3 leaves the relay (2) and HTTP (1+) their room.
  {prefix}DB_POOL_SIZE: "4"
  {prefix}DB_MAX_OVERFLOW: "2"
  {prefix}CONSUMER_PREFETCH: "3"
  {prefix}METRICS_INTERVAL_SECONDS: "15"
""",
        "secret.yaml": f"""# Placeholders: replace with your own (sealed-secrets, external-secrets or
# `kubectl create secret generic {service}-secrets --from-literal=...`). Never commit real values.
apiVersion: v1
kind: Secret
metadata:
  name: {service}-secrets
  labels:
    {labels}
type: Opaque
stringData:
  {prefix}DATABASE_URL: postgresql+asyncpg://{service}:CHANGE-ME@weilinli-pg-rw:5432/weilinli_{service}
  {prefix}AMQP_URL: amqp://weilinli:CHANGE-ME@weilinli-rabbitmq:5672/
  {prefix}REDIS_URL: redis://:CHANGE-ME@weilinli-redis:6379/0
""",
        "deployment.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {service}
  labels:
    {labels}
spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {service}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {labels.replace(chr(10) + "    ", chr(10) + "        ")}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "{port}"
        prometheus.io/path: /metrics
    spec:
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      initContainers:
        # Migrations under the advisory lock (servicekit.migrations): every pod's init container
        # may run at once; one applies, the others wait and find nothing to do.
        - name: migrate
          image: weilinli/{service}:latest
          command: ["python", "-m", "{service}", "migrate"]
          envFrom:
            - configMapRef:
                name: {service}-config
            - secretRef:
                name: {service}-secrets
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: jwt
              mountPath: /run/secrets/jwt_public_key
              subPath: jwt_public_key
          resources:
{resources(*MIGRATE)}
      containers:
        - name: {service}
          image: weilinli/{service}:latest
          ports:
            - name: http
              containerPort: {port}
          envFrom:
            - configMapRef:
                name: {service}-config
            - secretRef:
                name: {service}-secrets
          # Start-up is done when the process answers; ready when it can serve (its own database;
          # broker, Redis and upstreams are advisory); live while it answers at all.
          startupProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 2
            failureThreshold: 60
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          livenessProbe:
            httpGet:
              path: /health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: jwt
              mountPath: /run/secrets/jwt_public_key
              subPath: jwt_public_key{private_key_mount}
            - name: var
              mountPath: /app/.var
            - name: tmp
              mountPath: /tmp
          resources:
{resources(*MEASURED.get(service, UNMEASURED))}
      volumes:
        - name: jwt
          secret:
            secretName: weilinli-jwt{"" if is_gateway else PUBLIC_ONLY}
        - name: var
          emptyDir: {{}}
        - name: tmp
          emptyDir: {{}}
""",
        "service.yaml": f"""apiVersion: v1
kind: Service
metadata:
  name: {service}
  labels:
    {labels}
spec:
  selector:
    app.kubernetes.io/name: {service}
  ports:
    - name: http
      port: {port}
      targetPort: http
""",
        "hpa.yaml": f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {service}
  labels:
    {labels}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {service}
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
""",
        "pdb.yaml": f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {service}
  labels:
    {labels}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {service}
""",
        "networkpolicy.yaml": f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {service}
  labels:
    {labels}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {service}
  policyTypes: ["Ingress"]
  ingress:
{ingress_from}
      ports:
        - port: {port}
    # Prometheus scrapes /metrics from the monitoring namespace.
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
      ports:
        - port: {port}
""",
    }


def main(argv: list[str]) -> None:
    service, port = argv[0], int(argv[1])
    prefix = argv[2] if len(argv) > 2 else f"{service.upper()}_"
    directory = BASE / service
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in files(service, port, prefix).items():
        (directory / name).write_text(body)
    print(f"wrote {directory}; add '- {service}' to {BASE / 'kustomization.yaml'}")


if __name__ == "__main__":
    main(sys.argv[1:])
