package io.jankrunner.http;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import java.util.Optional;

/**
 * Checks a token the way Jank's JWT middleware ({@code internal/middleware/jwt/jwt.go}, built on
 * hertz-contrib/jwt) does: HS256 signed with Jank's {@code JWT.SECRET}, an {@code exp} claim that
 * has not passed, and a {@code sub} claim holding a positive user id. What Jank checks beyond the
 * token itself (that it is the user's current token in Redis) the runner cannot see: a token
 * stays valid here until it expires, even after the user logs out.
 */
final class JankJwt {

  private final JWTVerifier verifier;

  JankJwt(byte[] secret) {
    this.verifier = JWT.require(Algorithm.HMAC256(secret)).withClaimPresence("exp").withClaimPresence("sub").build();
  }

  /** Empty when the token is good, else why not (for the 401's message). */
  Optional<String> refusal(String token) {
    DecodedJWT jwt;
    try {
      jwt = verifier.verify(token);
    } catch (TokenExpiredException e) {
      return Optional.of("token is expired");
    } catch (AlgorithmMismatchException e) {
      return Optional.of("signing method is not HS256");
    } catch (SignatureVerificationException e) {
      return Optional.of("signature is invalid");
    } catch (JWTVerificationException e) {
      return Optional.of("invalid token: " + e.getMessage());
    }
    Claim subject = jwt.getClaim("sub");
    Double user = subject.asDouble();
    if (user == null || user <= 0) {
      return Optional.of("the token names no user (sub)");
    }
    return Optional.empty();
  }

  /** Whether {@code token} has a JWT's shape (three base64url parts), so it is not taken for a static token. */
  static boolean looksLikeJwt(String token) {
    return token.chars().filter(c -> c == '.').count() == 2;
  }
}
