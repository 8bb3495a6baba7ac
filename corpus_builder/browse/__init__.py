"""``corpus-builder browse``: a release as a static website (index, one page per
document, model vs gold, changes since an older release) that works from
``file://`` with no server and no network."""
