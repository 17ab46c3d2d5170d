{{- define "objects.templateName" -}}
{{ .Template.Name }}
{{- end -}}
