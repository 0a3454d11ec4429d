"""The tools' machinery: the shared base, the run tool and the reference tool."""
