"""The local reserve: volunteers who opt in to be called out, and the call-outs they answer."""
