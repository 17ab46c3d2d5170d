{{- define "library-root.name" -}}library-root{{- end -}}
