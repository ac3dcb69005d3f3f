"""Tables of the errand service's own database. Every domain row carries `community_id`."""

from sqlalchemy import MetaData

metadata = MetaData()
