# A JWT authorizer without an audience would accept tokens the issuer made for any application.
name               = "shop-test"
authorization_type = "JWT"
jwt_issuer         = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
