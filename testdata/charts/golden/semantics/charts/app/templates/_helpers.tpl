{{- define "shared.greeting" -}}
hello from the subchart
{{- end -}}
{{- define "app.only" -}}
defined only in the subchart
{{- end -}}
