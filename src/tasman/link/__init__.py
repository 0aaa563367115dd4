"""Entity resolution: records and observations -> subjects, each link explained."""
