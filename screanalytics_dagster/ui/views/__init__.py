"""The pages of the review UI, each a render() function."""
