"""Importing the file service without the optional packages pydicom probes for other work.

When first imported, pydicom looks for packages it could use for work other than ours,
and imports those it finds: requests and tqdm (for downloading its test data),
python-gdcm, pylibjpeg and its plugins, Pillow (decoders of other compressed transfer
syntaxes). The command line needs none of them: the service names its own RLE plugins
and refuses other compressed syntaxes. With them installed they are about a third of
the start-up of a one-file run. :func:`import_service` imports the service with those
names hidden, and gives them back right after: whatever imports them later gets them
as usual; only pydicom's own notes of what it found stay as they were then.
"""

import sys
from types import ModuleType

#: Top-level names of the packages pydicom probes for at import and the service never uses.
OPTIONAL = ("requests", "tqdm", "gdcm", "PIL", "pylibjpeg", "openjpeg", "libjpeg", "rle", "jpeg_ls")


def import_service() -> ModuleType:
    """Return :mod:`dicompress.service`, importing pydicom without :data:`OPTIONAL` if it is not loaded yet."""
    hidden = [] if "pydicom" in sys.modules else [name for name in OPTIONAL if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes "import name" raise ImportError
    try:
        from dicompress import service
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return service
