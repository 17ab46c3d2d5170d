package testenv

// Pod behaviours simulated by the kwok stages (kwok-stages.yaml) when the
// environment runs WithWorkloads. By default a pod becomes Running and Ready
// about a second after it is scheduled, and a Job's pod then Succeeds. Put
// FailLabel with one of the Fail* values on a pod (template) to make it fail:
//
//	labels: {testenv.lade.dev/fail: crash}
//
// An image whose name contains "does-not-exist", "nonexistent" or "invalid"
// (any case) fails the same way as FailImagePull.
const (
	FailLabel = "testenv.lade.dev/fail"

	// FailImagePull: the pod stays Pending, its containers waiting with reason ImagePullBackOff.
	FailImagePull = "image-pull"
	// FailNotReady: the pod is Running, its containers run but never become Ready.
	FailNotReady = "not-ready"
	// FailCrash: the pod is Running, its containers waiting with reason CrashLoopBackOff
	// (restartCount 5, last state terminated with exit code 1), never Ready.
	FailCrash = "crash"
	// FailError: the pod's phase is Failed, its containers terminated with exit code 1
	// (a Job with backoffLimit 0 then fails).
	FailError = "error"
)
