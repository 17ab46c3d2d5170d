{{- define "<CHARTNAME>.fullname" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end -}}
