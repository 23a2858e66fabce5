{{/* Names and labels, as the Collector's chart makes them. */}}
{{- define "scrubber.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "scrubber.fullname" -}}
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

{{- define "scrubber.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scrubber.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "scrubber.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "scrubber.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- with .Values.region }}
scrubber.io/region: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "scrubber.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "scrubber.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "scrubber.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Every mistake the chart can see, as one clear failure instead of a pod that cannot work. */}}
{{- define "scrubber.validate" -}}
{{- if not (has .Values.mode (list "daemonset" "deployment")) }}
{{- fail (printf "mode: %q is not one of daemonset, deployment (for a sidecar see the chart's README)" .Values.mode) }}
{{- end }}
{{- if and (eq .Values.mode "deployment") .Values.persistence.enabled (not .Values.persistence.existingClaim) (gt (int .Values.replicaCount) 1) }}
{{- fail "persistence: one PersistentVolumeClaim cannot hold the queues of several replicas; set replicaCount: 1, or persistence.enabled: false" }}
{{- end }}
{{- range $name, $backend := (include "scrubber.present" $.Values.backends.regional | fromJson) }}
{{- if not (regexMatch "^[a-z][a-z0-9_]*$" $name) }}
{{- fail (printf "backends.regional.%s: a backend name is a jurisdiction name such as eu (lower case)" $name) }}
{{- end }}
{{- include "scrubber.validateBackend" (list (printf "backends.regional.%s" $name) $backend) }}
{{- end }}
{{- if .Values.backends.global }}
{{- include "scrubber.validateBackend" (list "backends.global" .Values.backends.global) }}
{{- end }}
{{- range $name, $key := (include "scrubber.present" $.Values.keys | fromJson) }}
{{- if not (and $key.secretName $key.secretKey) }}
{{- fail (printf "keys.%s: needs secretName and secretKey of an existing Secret" $name) }}
{{- end }}
{{- end }}
{{- include "scrubber.validateAgainstConfig" . }}
{{- end }}

{{/* The config and the values name the same backends and keys, no more, no fewer: a backend the
     config sends to but the NetworkPolicy does not allow would fail at run time, and one the
     NetworkPolicy allows but the config never uses would be an opening for nothing. */}}
{{- define "scrubber.validateAgainstConfig" -}}
{{- $text := include "scrubber.config" . }}
{{- $regional := list }}
{{- range regexFindAll "SCRUBBER_REGIONAL_[A-Z0-9_]+_ENDPOINT" $text -1 }}
{{- $regional = append $regional (. | trimPrefix "SCRUBBER_REGIONAL_" | trimSuffix "_ENDPOINT" | lower) }}
{{- end }}
{{- range uniq $regional }}
{{- if not (hasKey (include "scrubber.present" $.Values.backends.regional | fromJson) .) }}
{{- fail (printf "backends.regional.%s: the config sends to ${env:SCRUBBER_REGIONAL_%s_ENDPOINT}; give its host, port and NetworkPolicy peers (to)" . (upper .)) }}
{{- end }}
{{- end }}
{{- range $name, $_ := (include "scrubber.present" $.Values.backends.regional | fromJson) }}
{{- if not (has $name $regional) }}
{{- fail (printf "backends.regional.%s: the config never uses SCRUBBER_REGIONAL_%s_ENDPOINT; remove the backend (the NetworkPolicy would open egress for nothing)" $name (upper $name)) }}
{{- end }}
{{- end }}
{{- $global := contains "SCRUBBER_GLOBAL_ENDPOINT" $text }}
{{- if and $global (not .Values.backends.global) }}
{{- fail "backends.global: the config sends to ${env:SCRUBBER_GLOBAL_ENDPOINT}; give its host, port and NetworkPolicy peers (to)" }}
{{- end }}
{{- if and .Values.backends.global (not $global) }}
{{- fail "backends.global: the config never uses SCRUBBER_GLOBAL_ENDPOINT; remove it" }}
{{- end }}
{{- range uniq (regexFindAll "SCRUBBER_KEY_[A-Z0-9_]+" $text -1) }}
{{- $name := . | trimPrefix "SCRUBBER_KEY_" | lower }}
{{- if not (hasKey (include "scrubber.present" $.Values.keys | fromJson) $name) }}
{{- fail (printf "keys.%s: the config reads the key from %s; name the existing Secret (secretName, secretKey)" $name .) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "scrubber.validateBackend" -}}
{{- $path := index . 0 }}{{- $backend := index . 1 }}
{{- if not (and $backend.host $backend.port) }}
{{- fail (printf "%s: needs host and port" $path) }}
{{- end }}
{{- if not $backend.to }}
{{- fail (printf "%s.to: name the NetworkPolicy peers this backend is reached at (ipBlock, namespaceSelector, podSelector); a NetworkPolicy cannot allow a host name" $path) }}
{{- end }}
{{- end }}

{{/* The scrubber config: files/federated.yaml with .Values.config merged over it, and with
     persistent queues on, sending_queue.storage under the data directory for every exporter
     that has a network endpoint and no storage of its own. */}}
{{- define "scrubber.config" -}}
{{- $config := fromYaml (.Files.Get "files/federated.yaml") }}
{{- $config = mustMergeOverwrite $config (deepCopy (.Values.config | default dict)) }}
{{- if and .Values.persistence.enabled .Values.persistence.persistentQueue }}
{{- range $id, $exporter := ($config.exporters | default dict) }}
{{- if and (kindIs "map" $exporter) (hasKey $exporter "endpoint") }}
{{- $queue := $exporter.sending_queue | default dict }}
{{- if not $queue.storage }}
{{- $_ := set $queue "storage" (printf "%s/queue" $.Values.dataDir) }}
{{- $_ := set $exporter "sending_queue" $queue }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* NetworkPolicy egress: one rule per configured backend, then DNS. */}}
{{- define "scrubber.egressRules" -}}
{{- range $name, $backend := (include "scrubber.present" $.Values.backends.regional | fromJson) }}
# regional backend {{ $name }}: {{ $backend.host }}:{{ $backend.port }}
- to:
    {{- toYaml $backend.to | nindent 4 }}
  ports:
    - port: {{ $backend.port }}
      protocol: TCP
{{- end }}
{{- with .Values.backends.global }}
# global endpoint: {{ .host }}:{{ .port }}
- to:
    {{- toYaml .to | nindent 4 }}
  ports:
    - port: {{ .port }}
      protocol: TCP
{{- end }}
# DNS
- to:
    {{- toYaml .Values.networkPolicy.dns.to | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{/* A map without its null entries (`--set backends.regional.us=null` removes a backend), as JSON. */}}
{{- define "scrubber.present" -}}
{{- $out := dict }}
{{- range $key, $value := . }}
{{- if $value }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}
