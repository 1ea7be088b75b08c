"""One elder: the elder page, its attributes, history, grade chart and 新建老人."""
