"""The database schema as a deployment step: CloudFormation's `DatabaseMigrations` custom
resource brings it to the migrations the deployed code ships, before the functions that
depend on it are updated.

Its `SchemaRevision` property names the newest migration (a test keeps it so), so a deploy
that adds a migration changes the resource and runs it, and any other deploy leaves the
database alone. Deleting the resource (or the stack) never drops anything: the cluster's
own deletion policy decides what becomes of the data.
"""

from attendry.core.observability import logger
from attendry.db import migrate
from attendry.platform.cloudformation import CustomResourceRequest, RequestType, answer

PHYSICAL_ID = "attendry-database-schema"


def apply_schema_request(request: CustomResourceRequest) -> bool:
    """Migrate on Create and Update, nothing on Delete; answer CloudFormation either way
    (a failure fails the deploy, which rolls back, with the error as its reason)."""
    revision = migrate.head()
    try:
        if request.request_type is not RequestType.DELETE:
            migrate.upgrade()
            logger.info("Database schema at head", extra={"revision": revision})
    except Exception as error:
        logger.exception("Migrating the database failed")
        answer(
            request,
            success=False,
            physical_resource_id=PHYSICAL_ID,
            reason=f"Migrating the database failed: {type(error).__name__}: {error}",
        )
        return False
    answer(
        request,
        success=True,
        physical_resource_id=PHYSICAL_ID,
        data={"Revision": revision},
    )
    return True
