"""The controller's one door to the database: deadlines, one failure type, the schema kept up to date."""
