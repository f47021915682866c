DROP TABLE cart_holds;
