"""Store code → client class, like ``clients/registry.py`` for carriers."""

from .base import ERROR_CONFIG, ApiError

STORES = {}


def register(cls):
    STORES[cls.store] = cls
    return cls


def get_store_client_class(store):
    try:
        return STORES[store]
    except KeyError:
        raise ApiError(ERROR_CONFIG, f"No client for store {store!r}") from None


def store_selection():
    return [(code, cls.label) for code, cls in STORES.items()]
