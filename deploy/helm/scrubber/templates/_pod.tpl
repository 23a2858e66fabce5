{{/* The pod both workload kinds run. */}}
{{- define "scrubber.pod" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "scrubber.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- if and (eq .Values.mode "daemonset") .Values.persistence.enabled .Values.persistence.hostPath.chownInit }}
initContainers:
  # kubelet creates the hostPath owned by root; hand it to the scrubber user, nothing else
  - name: data-owner
    image: {{ include "scrubber.image" . | quote }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command: ["chown", "{{ .Values.securityContext.runAsUser }}:{{ .Values.securityContext.runAsGroup }}", {{ .Values.dataDir | quote }}]
    securityContext:
      runAsUser: 0
      runAsNonRoot: false
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities:
        drop: [ALL]
        add: [CHOWN]
    volumeMounts:
      - name: data
        mountPath: {{ .Values.dataDir }}
    resources:
      requests: {cpu: 10m, memory: 16Mi}
      limits: {cpu: 100m, memory: 32Mi}
{{- end }}
containers:
  - name: scrubber
    image: {{ include "scrubber.image" . | quote }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    args: ["run", "--config", "/etc/scrubber/config/config.yaml"]
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    ports:
      {{- range $name, $port := .Values.ports }}
      - name: {{ $name }}
        containerPort: {{ $port.containerPort }}
        protocol: {{ $port.protocol }}
        {{- if and (eq $.Values.mode "daemonset") $port.hostPort }}
        hostPort: {{ $port.hostPort }}
        {{- end }}
      {{- end }}
    env:
      - name: SCRUBBER_GRPC_ENDPOINT
        value: "0.0.0.0:{{ .Values.ports.otlp.containerPort }}"
      - name: SCRUBBER_HTTP_ENDPOINT
        value: "0.0.0.0:{{ (index .Values.ports "otlp-http").containerPort }}"
      - name: SCRUBBER_METRICS_ENDPOINT
        value: "0.0.0.0:{{ .Values.ports.metrics.containerPort }}"
      - name: SCRUBBER_HEALTH_ENDPOINT
        value: "0.0.0.0:{{ .Values.ports.health.containerPort }}"
      - name: SCRUBBER_DATA_DIR
        value: {{ .Values.dataDir | quote }}
      - name: SCRUBBER_QUARANTINE_DIR
        value: "{{ .Values.dataDir }}/quarantine"
      - name: SCRUBBER_GENERATE_KEYS
        value: "false"
      - name: MPLCONFIGDIR
        value: /tmp/matplotlib
      {{- range $name, $backend := (include "scrubber.present" $.Values.backends.regional | fromJson) }}
      - name: SCRUBBER_REGIONAL_{{ upper $name }}_ENDPOINT
        value: "{{ $backend.host }}:{{ $backend.port }}"
      {{- end }}
      - name: SCRUBBER_REGIONAL_INSECURE
        value: {{ .Values.backends.regionalInsecure | quote }}
      {{- with .Values.backends.global }}
      - name: SCRUBBER_GLOBAL_ENDPOINT
        value: "{{ .host }}:{{ .port }}"
      {{- end }}
      - name: SCRUBBER_GLOBAL_INSECURE
        value: {{ .Values.backends.globalInsecure | quote }}
      {{- range $name, $key := (include "scrubber.present" $.Values.keys | fromJson) }}
      - name: SCRUBBER_KEY_{{ upper $name }}
        valueFrom:
          secretKeyRef:
            name: {{ $key.secretName }}
            key: {{ $key.secretKey }}
      {{- end }}
      {{- with .Values.extraEnvs }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    startupProbe:
      httpGet: {path: /, port: health}
      {{- toYaml .Values.startupProbe | nindent 6 }}
    livenessProbe:
      httpGet: {path: /, port: health}
      {{- toYaml .Values.livenessProbe | nindent 6 }}
    readinessProbe:
      httpGet: {path: /, port: health}
      {{- toYaml .Values.readinessProbe | nindent 6 }}
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: /etc/scrubber/config
        readOnly: true
      - name: data
        mountPath: {{ .Values.dataDir }}
      - name: tmp
        mountPath: /tmp
volumes:
  - name: config
    configMap:
      name: {{ include "scrubber.fullname" . }}
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
  {{- if not .Values.persistence.enabled }}
  - name: data
    emptyDir:
      sizeLimit: {{ .Values.persistence.size }}
  {{- else if eq .Values.mode "daemonset" }}
  - name: data
    hostPath:
      path: "{{ .Values.persistence.hostPath.path }}/{{ .Release.Namespace }}-{{ .Release.Name }}"
      type: {{ .Values.persistence.hostPath.type }}
  {{- else }}
  - name: data
    persistentVolumeClaim:
      claimName: {{ .Values.persistence.existingClaim | default (printf "%s-data" (include "scrubber.fullname" .)) }}
  {{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
