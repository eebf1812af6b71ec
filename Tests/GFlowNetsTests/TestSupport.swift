// Fixture and scratch paths for every file of this target.
@_exported import TestFixtures
