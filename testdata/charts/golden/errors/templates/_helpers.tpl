{{- define "errors.host" -}}
{{ required "dbHost is required inside a define" .Values.dbHost }}
{{- end -}}

{{- define "errors.loop" -}}
{{ include "errors.loop" . }}
{{- end -}}
