"""The policies the commands run: convert, simplify a bundle, trees, opening any artifact."""
