{{- define "basic.name" -}}basic{{- end -}}
