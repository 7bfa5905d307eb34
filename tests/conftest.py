import os

# Nothing may download during the tests: the loaders (and CLI subprocesses, which inherit this) stay offline.
os.environ["SPHEREFACE_VIZ_OFFLINE"] = "1"
