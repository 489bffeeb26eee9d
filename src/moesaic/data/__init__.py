"""Data: the schema, validated readers, the dataset registry and the plant simulator."""

from moesaic.data.registry import DatasetInfo, datasets, load_dataset, resolve_data_root
from moesaic.data.schema import Asset, Document, Drawing, Event, MaintenanceData, Series
from moesaic.data.tables import DataFormatError

__all__ = [
    "Asset",
    "DataFormatError",
    "DatasetInfo",
    "Document",
    "Drawing",
    "Event",
    "MaintenanceData",
    "Series",
    "datasets",
    "load_dataset",
    "resolve_data_root",
]
