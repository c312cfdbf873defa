{{/* The chart name, or nameOverride. */}}
{{- define "k8stream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: fullnameOverride, else <release>-<chart> (just <release> when it contains the chart name). */}}
{{- define "k8stream.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "k8stream.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "k8stream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "k8stream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "k8stream.labels" -}}
helm.sh/chart: {{ include "k8stream.chart" . }}
{{ include "k8stream.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "k8stream.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "k8stream.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* True (the string "true") when the generated config has leader election on. */}}
{{- define "k8stream.leaderElection" -}}
{{- if or (gt (int .Values.replicaCount) 1) (dig "leaderElection" "enabled" false .Values.config) }}true{{ end }}
{{- end }}

{{/* The Lease's name (leaderElection.name, default "k8stream"). */}}
{{- define "k8stream.leaseName" -}}
{{- dig "leaderElection" "name" "k8stream" .Values.config }}
{{- end }}

{{/* The metrics/health port (server.port, default 9464). */}}
{{- define "k8stream.port" -}}
{{- dig "server" "port" 9464 .Values.config | int }}
{{- end }}

{{/*
The .k8streamrc: `config` from the values, with leaderElection.enabled forced on when
replicaCount > 1 (POD_NAME and POD_NAMESPACE come from the downward API, so the Lease lives in
the release namespace and each replica has its own identity).
*/}}
{{- define "k8stream.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- $le := deepCopy (default (dict) (dig "leaderElection" (dict) .Values.config)) }}
{{- $_ := set $le "enabled" (eq (include "k8stream.leaderElection" .) "true") }}
{{- $_ := set $cfg "leaderElection" $le }}
{{- toYaml $cfg }}
{{- end }}
