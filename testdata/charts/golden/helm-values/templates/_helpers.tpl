{{- /* Shaped as gotohelm's output: each helper takes (dict "a" (list ...)) and answers (dict "r" ...) as JSON. */ -}}
{{- define "helm-values.Labels" -}}
{{- $dot := (index .a 0) -}}
{{- range $_ := (list 1) -}}
{{- $values := $dot.Values.AsMap -}}
{{- (dict "r" (mustMergeOverwrite (dict "app" $values.name) (dict "tag" $values.image.tag "release" $dot.Release.Name))) | toJson -}}
{{- break -}}
{{- end -}}
{{- end -}}

{{- define "helm-values.describe" -}}
type: {{ typeOf .Values | quote }}
kind: {{ kindOf .Values | quote }}
name: {{ .Values.name | quote }}
asMap: {{ typeOf .Values.AsMap | quote }}
{{- end -}}

{{- define "helm-values.methods" -}}
table: {{ .Values.Table "image" | toJson | quote }}
path: {{ .Values.PathValue "image.tag" | quote }}
yaml: {{ .Values.YAML | quote }}
{{- end -}}
