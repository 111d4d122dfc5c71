{{/*
Shared pieces of the chart. Every Tributary pod runs the one image with its service name as the
first argument (deploy/docker/entrypoint.sh); services read TRIBUTARY_<SERVICE>_<KEY> variables
(strict: an unknown variable with the service's prefix stops the service at startup).
*/}}

{{- define "tributary.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tributary.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "disperser") */}}
{{- define "tributary.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tributary.componentLabels" -}}
{{ include "tributary.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tributary.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "tributary.natsUrl" -}}
{{- if .Values.nats.bundled.enabled -}}
{{- printf "nats://%s-nats:4222" (include "tributary.fullname" .) -}}
{{- else -}}
{{- required "nats.url is required when nats.bundled.enabled is false" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{- define "tributary.redisUrl" -}}
{{- if .Values.redis.bundled.enabled -}}
{{- printf "redis://%s-redis:6379" (include "tributary.fullname" .) -}}
{{- else -}}
{{- required "redis.url is required when redis.bundled.enabled is false" .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/* autoscaling/v2 and policy/v1 where the cluster has them (1.23 / 1.21), else the betas. */}}
{{- define "tributary.hpaApiVersion" -}}
{{- if semverCompare ">=1.23-0" .Capabilities.KubeVersion.Version -}}autoscaling/v2{{- else -}}autoscaling/v2beta2{{- end -}}
{{- end -}}
{{- define "tributary.pdbApiVersion" -}}
{{- if semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version -}}policy/v1{{- else -}}policy/v1beta1{{- end -}}
{{- end -}}

{{/*
Environment of one service: (dict "root" $ "prefix" "TRIBUTARY_DISPERSER" "redis" true
"lane" true "extra" .Values.disperser.env). `lane` services configure their stream replicas
under NATS_REPLICAS; the disperser names them EVENTS_REPLICAS.
*/}}
{{- define "tributary.env" -}}
{{- $root := .root -}}
- name: {{ .prefix }}_NATS_SERVERS
  value: {{ list (include "tributary.natsUrl" $root) | toJson | quote }}
- name: {{ .prefix }}_LOG_LEVEL
  value: {{ $root.Values.logLevel | quote }}
{{- if .preset }}
- name: {{ .prefix }}_PRESET
  value: {{ $root.Values.preset | quote }}
{{- end }}
{{- if .redis }}
- name: {{ .prefix }}_REDIS_URL
  value: {{ include "tributary.redisUrl" $root | quote }}
{{- end }}
{{- if .lane }}
- name: {{ .prefix }}_NATS_REPLICAS
  value: {{ $root.Values.nats.streamReplicas | quote }}
{{- end }}
{{- range $key, $value := .extra }}
- name: {{ printf "%s_%s" $.prefix $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Ports, probes, security context and resources shared by every Tributary container. */}}
{{- define "tributary.container" -}}
image: {{ include "tributary.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
args: [{{ .service | quote }}]
ports:
  {{- if .grpcPort }}
  - { name: grpc, containerPort: {{ .grpcPort }}, protocol: TCP }
  {{- end }}
  - { name: admin, containerPort: {{ .adminPort }}, protocol: TCP }
livenessProbe:
  httpGet: { path: /healthz, port: admin }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 6
readinessProbe:
  httpGet: { path: /readyz, port: admin }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
startupProbe:
  httpGet: { path: /healthz, port: admin }
  periodSeconds: 2
  failureThreshold: 60
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
resources:
  {{- toYaml .values.resources | nindent 2 }}
{{- end -}}

{{/*
Pod-level settings shared by every Tributary pod. enableServiceLinks is off because Kubernetes
would otherwise inject variables such as TRIBUTARY_DISPERSER_PORT for the release's Services,
which the services' strict config reads as unknown keys and refuses to start.
*/}}
{{- define "tributary.podSpec" -}}
serviceAccountName: {{ include "tributary.fullname" . }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Volume mounts: a writable /tmp under the read-only root, and the BLS keys when asked. */}}
{{- define "tributary.volumeMounts" -}}
- { name: tmp, mountPath: /tmp }
{{- if .keys }}
- { name: bls-keys, mountPath: /keys/bls, readOnly: true }
{{- end }}
{{- end -}}
{{- define "tributary.volumes" -}}
- name: tmp
  emptyDir: { sizeLimit: 256Mi }
{{- if .keys }}
- name: bls-keys
  secret:
    secretName: {{ .root.Values.keys.blsSecret }}
    defaultMode: 0400
{{- end }}
{{- end -}}

{{/* A PodDisruptionBudget: (dict "root" $ "component" "x" "name" "..." "pdb" .Values.x.pdb) */}}
{{- define "tributary.pdb" -}}
apiVersion: {{ include "tributary.pdbApiVersion" .root }}
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  labels:
    {{- include "tributary.componentLabels" . | nindent 4 }}
spec:
  {{- toYaml .pdb | nindent 2 }}
  selector:
    matchLabels:
      {{- include "tributary.selectorLabels" . | nindent 6 }}
      {{- with .extraSelector }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
{{- end -}}

{{/*
A stateless service: Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget.
(dict "root" $ "component" "disperser" "grpcPort" 7100 "adminPort" 9100 "prefix" "TRIBUTARY_DISPERSER"
 "redis" true "lane" false "preset" true "keys" false "values" .Values.disperser "env" (list ...))
*/}}
{{- define "tributary.statelessService" -}}
{{- $root := .root -}}
{{- $name := printf "%s-%s" (include "tributary.fullname" $root) .component -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "tributary.componentLabels" . | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "tributary.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tributary.componentLabels" . | nindent 8 }}
    spec:
      {{- include "tributary.podSpec" $root | nindent 6 }}
      terminationGracePeriodSeconds: 60
      containers:
        - name: {{ .component }}
          {{- include "tributary.container" (dict "root" $root "service" .component "grpcPort" .grpcPort "adminPort" .adminPort "values" $v) | nindent 10 }}
          env:
            {{- include "tributary.env" (dict "root" $root "prefix" .prefix "redis" .redis "lane" .lane "preset" .preset "extra" $v.env) | nindent 12 }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          volumeMounts:
            {{- include "tributary.volumeMounts" . | nindent 12 }}
      volumes:
        {{- include "tributary.volumes" . | nindent 8 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "tributary.componentLabels" . | nindent 4 }}
    tributary.io/scrape: "true"
spec:
  type: {{ dig "service" "type" "ClusterIP" $v }}
  selector:
    {{- include "tributary.selectorLabels" . | nindent 4 }}
  ports:
    - { name: grpc, port: {{ .grpcPort }}, targetPort: grpc, protocol: TCP }
    - { name: admin, port: {{ .adminPort }}, targetPort: admin, protocol: TCP }
{{- if $v.autoscaling.enabled }}
---
apiVersion: {{ include "tributary.hpaApiVersion" $root }}
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "tributary.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
---
{{ include "tributary.pdb" (dict "root" $root "component" .component "name" $name "pdb" $v.pdb) }}
{{- end -}}
