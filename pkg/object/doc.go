// Package object is the shape of a rendered Kubernetes object as it flows
// from the render through the overlay to the cluster. Every stage has the
// shape it needs and no other:
//
//   - Doc, one rendered document (its template path, its text, its head
//     and, when the render parsed it, its tree): made by pkg/render
//     (render.Manifest is this type), replaced by pkg/overlay (kustomize's
//     output, unparsed), turned into the manifest text of the record and of
//     what is printed by pkg/render and pkg/release, and built by pkg/kube
//     (Client.BuildObjects) without parsing again what the render parsed.
//   - Hook, a rendered hook: its document and Helm's lifecycle metadata,
//     as Helm's sorter makes it and Helm's record stores it. pkg/render
//     makes it (render.Hook is this type), a release record stores it
//     (release.Hook is this type too; LastRun is the record's), and
//     pkg/release runs the hooks of a revision, building each from its
//     text as Helm does.
//   - overlay.Doc is the overlay's working copy of a document while
//     kustomize runs (which input document an output came from); it stays
//     inside pkg/overlay's build.
//   - kube.Resource is an object mapped to the cluster's API (an
//     unstructured object and its REST mapping): what pkg/kube applies,
//     deletes and waits for, and what pkg/diff compares. kube builds them
//     from Docs (a new render) or from a manifest's text (a stored
//     revision, read back from its record: Client.BuildStored). A bare
//     unstructured object is one kube could not map (a custom resource
//     whose CRD is not served yet, kube.Built.Unmapped) or a live object.
//
// It imports nothing of lade.
package object
