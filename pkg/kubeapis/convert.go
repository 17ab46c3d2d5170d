package kubeapis

import "fmt"

// Convert rewrites obj, an object of a removed apiVersion, as an object of
// apiVersion, one of its Successors: it sets apiVersion and moves the fields
// the newer schema renamed or made required, where the conversion is
// mechanical (Ingress backends and pathType; the selector apps/v1 requires
// of workloads; the metric targets of autoscaling/v2beta1). Other kinds
// keep their fields, as helm-mapkubeapis does; the API server then
// validates them. obj is changed in place.
func Convert(obj map[string]any, apiVersion string) error {
	from, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	ok := false
	for _, s := range Successors(from, kind) {
		ok = ok || s == apiVersion
	}
	if !ok {
		return fmt.Errorf("%s %s cannot be converted to %s: not one of its replacements", from, kind, apiVersion)
	}
	spec, _ := obj["spec"].(map[string]any)
	switch {
	case kind == "Ingress" && apiVersion == "networking.k8s.io/v1" && spec != nil:
		convertIngress(spec)
	case apiVersion == "apps/v1" && spec != nil && (kind == "Deployment" || kind == "DaemonSet" || kind == "ReplicaSet" || kind == "StatefulSet"):
		defaultSelector(spec)
		delete(spec, "rollbackTo")
		delete(spec, "templateGeneration")
	case kind == "HorizontalPodAutoscaler" && from == "autoscaling/v2beta1" && spec != nil:
		convertHPAMetrics(spec)
	}
	obj["apiVersion"] = apiVersion
	return nil
}

// convertIngress moves the extensions/networking.k8s.io v1beta1 Ingress
// fields to networking.k8s.io/v1: spec.backend becomes spec.defaultBackend,
// serviceName/servicePort become service.name and service.port.number (or
// .name), and a path without pathType gets ImplementationSpecific, the
// v1beta1 default.
func convertIngress(spec map[string]any) {
	if b, ok := spec["backend"].(map[string]any); ok {
		if _, has := spec["defaultBackend"]; !has {
			spec["defaultBackend"] = b
		}
		delete(spec, "backend")
	}
	if b, ok := spec["defaultBackend"].(map[string]any); ok {
		convertBackend(b)
	}
	rules, _ := spec["rules"].([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		http, _ := rm["http"].(map[string]any)
		paths, _ := http["paths"].([]any)
		for _, p := range paths {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			if _, has := pm["pathType"]; !has {
				pm["pathType"] = "ImplementationSpecific"
			}
			if b, ok := pm["backend"].(map[string]any); ok {
				convertBackend(b)
			}
		}
	}
}

func convertBackend(b map[string]any) {
	name, hasName := b["serviceName"]
	port, hasPort := b["servicePort"]
	if !hasName && !hasPort {
		return
	}
	svc := map[string]any{}
	if hasName {
		svc["name"] = name
	}
	if hasPort {
		switch p := port.(type) {
		case string:
			svc["port"] = map[string]any{"name": p}
		default:
			svc["port"] = map[string]any{"number": p}
		}
	}
	delete(b, "serviceName")
	delete(b, "servicePort")
	b["service"] = svc
}

// defaultSelector sets spec.selector to the pod template's labels when it
// is missing, as the beta workload APIs defaulted it and apps/v1 requires it.
func defaultSelector(spec map[string]any) {
	if _, has := spec["selector"]; has {
		return
	}
	tmpl, _ := spec["template"].(map[string]any)
	md, _ := tmpl["metadata"].(map[string]any)
	if labels, ok := md["labels"].(map[string]any); ok && len(labels) > 0 {
		spec["selector"] = map[string]any{"matchLabels": labels}
	}
}

// convertHPAMetrics rewrites autoscaling/v2beta1 metric targets
// (targetAverageUtilization, targetAverageValue, targetValue) as
// autoscaling/v2's target {type, averageUtilization|averageValue|value},
// metricName with its selector as metric {name, selector}, and an Object
// metric's target reference as describedObject.
func convertHPAMetrics(spec map[string]any) {
	metrics, _ := spec["metrics"].([]any)
	for _, m := range metrics {
		mm, _ := m.(map[string]any)
		typ, _ := mm["type"].(string)
		if typ == "" {
			continue
		}
		src, ok := mm[lowerFirst(typ)].(map[string]any)
		if !ok {
			continue
		}
		if typ == "Object" {
			// v2beta1's target names the object; v2 calls it describedObject.
			if ref, has := src["target"]; has {
				src["describedObject"] = ref
				delete(src, "target")
			}
		}
		target := map[string]any{}
		move := func(old, newKey, targetType string) {
			if val, has := src[old]; has {
				target["type"] = targetType
				target[newKey] = val
				delete(src, old)
			}
		}
		move("targetValue", "value", "Value")
		move("targetAverageValue", "averageValue", "AverageValue")
		move("targetAverageUtilization", "averageUtilization", "Utilization")
		if typ == "Object" {
			move("averageValue", "averageValue", "AverageValue")
		}
		if len(target) > 0 {
			src["target"] = target
		}
		if name, has := src["metricName"]; has {
			metric := map[string]any{"name": name}
			for _, k := range []string{"metricSelector", "selector"} {
				if sel, has := src[k]; has {
					metric["selector"] = sel
					delete(src, k)
				}
			}
			delete(src, "metricName")
			src["metric"] = metric
		}
	}
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
