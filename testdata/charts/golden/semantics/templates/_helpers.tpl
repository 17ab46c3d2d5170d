{{/* Overrides the subchart's definition of the same name. */}}
{{- define "shared.greeting" -}}
hello from the parent
{{- end -}}
