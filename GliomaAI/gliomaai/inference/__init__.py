"""The one inference engine every module shares."""
