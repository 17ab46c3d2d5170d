{{- define "lade-controller.name" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lade-controller.labels" -}}
app.kubernetes.io/name: lade-controller
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "lade-controller.selector" -}}
app.kubernetes.io/name: lade-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
