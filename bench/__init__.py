"""The benchmark of a full quarterly build at growing volumes of returns (`make bench`)."""
