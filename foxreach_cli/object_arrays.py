"""Small operations on numpy object arrays that several stages share."""

from __future__ import annotations

import numpy as np

#: None as the 0-d object array numpy makes of it in ``np.equal(arr, None)``; spelled out
#: because numpy's stubs type a ufunc's operands as arrays or scalars, never None.
_NONE = np.array(None, dtype=object)


def is_none(arr: np.ndarray) -> np.ndarray:
    """Per element of an object array: is it None (one C pass, no Python step per element)."""
    return np.equal(arr, _NONE)
