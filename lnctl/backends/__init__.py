"""Lightning backends behind one small contract (``base.Backend``)."""
