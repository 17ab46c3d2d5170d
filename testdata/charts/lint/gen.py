#!/usr/bin/env python3
"""Writes the lint rule charts: <rule>/bad triggers the rule, <rule>/good does not.
Run from this directory: python3 gen.py (the charts are committed)."""
import os, shutil

CHART = """apiVersion: v2
name: {name}
version: 0.1.0
icon: https://example.com/icon.png
"""

def deploy(replicas="  replicas: 2\n", container=None, pod_extra="", strategy="", meta_extra="", labels="app: web", volumes=""):
    if container is None:
        container = CONTAINER
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
{meta_extra}  labels:
    {labels}
spec:
{replicas}{strategy}  selector:
    matchLabels:
      {labels}
  template:
    metadata:
      labels:
        {labels}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
{pod_extra}      containers:
{container}{volumes}"""

CONTAINER = """        - name: app
          image: nginx:1.27
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
            limits:
              memory: 128Mi
          readinessProbe:
            httpGet:
              path: /
              port: 8080
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: {sel}
  ports:
    - port: 80
      targetPort: 8080
"""

def c(**kw):
    s = CONTAINER
    for k, v in kw.items():
        s = s.replace(k, v)
    return s

PVC = """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"""
VOL = """      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: data
"""
PDB = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: {n}
  selector:
    matchLabels:
      app: web
"""
INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {svc}
                port:
                  number: 80
"""
HPA = """apiVersion: {api}
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 2
  maxReplicas: 5
"""
NETPOL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
{ingress}"""
ANTI = """      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  app: web
"""
SEC_NONE = lambda d: d.replace("      securityContext:\n        runAsNonRoot: true\n        runAsUser: 1000\n", "")

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
{schema}
"""
CRD_OK = """          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}"""
CRD_PRESERVE = """          type: object
          x-kubernetes-preserve-unknown-fields: true"""

SVC = SERVICE.format(sel="web")
CASES = {
    "schema": ([deploy(container=c(**{"          readinessProbe:": "          contianers: []\n          readinessProbe:"})), SVC], [deploy(), SVC]),
    "api-validation": ([deploy(replicas="  replicas: -1\n"), SVC], [deploy(replicas="  replicas: 0\n"), SVC]),
    "removed-api": ([deploy(replicas=""), SVC, HPA.format(api="autoscaling/v2beta2")], [deploy(replicas=""), SVC, HPA.format(api="autoscaling/v2")]),
    "resource-requests": ([deploy(container=c(**{"            requests:\n              cpu: 100m\n              memory: 64Mi\n": ""})), SVC], [deploy(), SVC]),
    "memory-limit": ([deploy(container=c(**{"            limits:\n              memory: 128Mi\n": ""})), SVC], [deploy(), SVC]),
    "limits-below-requests": ([deploy(container=c(**{"memory: 128Mi": "memory: 32Mi"})), SVC], [deploy(), SVC]),
    "image-tag": ([deploy(container=c(**{"nginx:1.27": "nginx"})), SVC], [deploy(container=c(**{"nginx:1.27": "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"})), SVC]),
    "readiness-probe": ([deploy(container=c(**{"          readinessProbe:\n            httpGet:\n              path: /\n              port: 8080\n": ""})), SVC], [deploy(), SVC]),
    "rwo-volume-replicas": ([deploy(volumes=VOL), SVC, PVC], [deploy(replicas="  replicas: 1\n", volumes=VOL), SVC, PVC]),
    "rollout-stuck": ([deploy(strategy="  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 0\n"), SVC],
                      [deploy(strategy="  strategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n"), SVC]),
    "rollout-all-unavailable": ([deploy(strategy="  strategy:\n    rollingUpdate:\n      maxUnavailable: 100%\n"), SVC],
                                [deploy(strategy="  strategy:\n    rollingUpdate:\n      maxUnavailable: 50%\n"), SVC]),
    "pdb-blocks-disruption": ([deploy(), SVC, PDB.format(n=2)], [deploy(), SVC, PDB.format(n=1)]),
    "service-selector": ([deploy(), SERVICE.format(sel="api")], [deploy(), SVC]),
    "dangling-reference": ([deploy(), SVC, INGRESS.format(svc="missing")], [deploy(), SVC, INGRESS.format(svc="web")]),
    "hpa-replicas": ([deploy(), SVC, HPA.format(api="autoscaling/v2")], [deploy(replicas=""), SVC, HPA.format(api="autoscaling/v2")]),
    "anti-affinity-nodes": ([deploy(replicas="  replicas: 3\n", pod_extra=ANTI), SVC], [deploy(replicas="  replicas: 2\n", pod_extra=ANTI), SVC]),
    "netpol-blocks-service": ([deploy(), SVC, NETPOL.format(ingress="")], [deploy(), SVC, NETPOL.format(ingress="  ingress:\n    - from:\n        - podSelector: {}\n")]),
    "privileged": ([deploy(container=c(**{"          readinessProbe:": "          securityContext:\n            privileged: true\n          readinessProbe:"})), SVC], [deploy(container=c(**{"          readinessProbe:": "          securityContext:\n            privileged: false\n          readinessProbe:"})), SVC]),
    "host-path": ([deploy(volumes="      volumes:\n        - name: logs\n          hostPath:\n            path: /var/log\n"), SVC],
                  [deploy(volumes="      volumes:\n        - name: logs\n          emptyDir: {}\n"), SVC]),
    "run-as-root": ([SEC_NONE(deploy()), SVC], [deploy(), SVC]),
    "crd-schema": ([CRD.format(schema=CRD_PRESERVE)], [CRD.format(schema=CRD_OK)]),
}

here = os.path.dirname(os.path.abspath(__file__))
for rule, (bad, good) in CASES.items():
    for kind, docs in (("bad", bad), ("good", good)):
        d = os.path.join(here, rule, kind)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "templates"))
        open(os.path.join(d, "Chart.yaml"), "w").write(CHART.format(name=f"{rule}-{kind}"))
        open(os.path.join(d, "values.yaml"), "w").write("{}\n")
        open(os.path.join(d, "templates", "manifests.yaml"), "w").write("---\n".join(docs))
