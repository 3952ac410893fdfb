"""Concepts a customer's words point at, as accent-folded regular expressions.

A linear model over n-grams sees "dejar de recibir alertas" and "recibir alertas" as nearly the same
message; one flag for "stop/unsubscribe" words, one for "no electricity" phrasings and so on gives it the
distinction a person makes at a glance, with words that never occurred in the training data. Each flag
is 1 when its expression matches the folded text (lower case, accents removed). Written from the
utility's vocabulary, not from the training examples; keep them general when you add one.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, Iterable, List, Pattern

import numpy as np


def fold(text: str) -> str:
    """Lower case without accents: "Cuándo VUELVE" -> "cuando vuelve"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


CONCEPTS: Dict[str, str] = {
 "stop": r"\b(dejar? de|deje[n]? de|no (quiero|deseo|me|necesito) (recibir|mas|que me|lleguen|manden|envien|notifiquen|escriban)|no me (manden|envien|notifiquen|escriban|lleguen|molesten)|cancel\w* (los|las|mis|la|el|suscrip)\w*|desactiv\w*|desuscrib\w*|desinscrib\w*|dar(me)? de baja|darme de baja|de baja|silenci\w*|apag\w* (las|los|la|el) (notif|alert|aviso|mensaj)|deten\w*|detener|anula\w*|quit\w* (las|los|la|el|de)|sac\w*me de|elimin\w*|borr\w*me|unsu?bscribe|unsuscribe|stop|ya no (quiero|me|mand|envi)|no mas (mensajes|sms|alertas|avisos|notificaciones|correos)|basta de|suficiente de|cancel\w* mi|quit\w*(me|nos|en)\b|sac\w*(me|nos)? de|paren|parar|suspend\w* (el envio|las|los|mis)|sal(ir|irme|gan) de (la lista|las|los|mis)|retir\w*(me)? de|no me interesa)\b",
 "start": r"\b(activ\w*|suscrib\w*|inscrib\w*|alta|prend\w*|reactiv\w*|volver a recibir|quiero (recibir|que me (avisen|lleguen|notifiquen|manden|envien))|avis(a|e)(me|nme|n)|notifiquen(me)?|alert(a|e)me|agrega\w*|anot\w*me|incluir?me|mantenerme informad\w*|recordar(me)?|recuerd\w*me)\b",
 "alerts": r"\b(alertas?|avisos?|notificacion\w*|notificar|recordatorios?|mensajes? de (texto|aviso)|sms|suscripcion\w*)\b",
 "domain": r"(luz|energ|electric|corriente|factur|recibo|boleta|cuenta|planilla|medidor|contador|kwh|kw\b|kilowat|kilovat|suministro|servicio|corte|apagon|tension|voltaje|poste|cable|transformador|tarifa|pag|deud|saldo|reclam|queja|ticket|radicado|caso|solar|panel|oficina|sucursal|asesor|agente|humano|persona|alerta|aviso|notific|correo|mail|telefono|celular|titular|conexion|reconex|lectura|consumo|bombill|foco|ahorr|apag|prend|luces|breaker|taco|fusible|chispa|fuego|incendio|humo)",
 "money_owed": r"\b(cuanto|cuánto|saldo|deb[oe]\w*|deuda|adeud\w*|monto|importe|valor|total|vence|vencimiento|fecha (limite|de pago)|estado de cuenta|pendiente|al dia|mora)\b",
 "where_how_pay": r"\b(donde|como|d?nd|canales?|medios?|formas?|puntos?|lugares?|link|enlace|pse|nequi|yape|transferencia|tarjeta|banco|online|en linea|app|debito automatico|domicili\w*)\b",
 "installments": r"\b(cuotas?|plazos?|partes|convenio|acuerdo|arreglo|financi\w*|fraccion\w*|diferir|difer\w*|postergar|aplazar|prorroga|extender|extension|mas tiempo|esperar\w*|esperen(me)?|abonos?|refinanci\w*|repact\w*|negociar|facilidad\w*|dividir|mitad|no (puedo|alcanzo|llego|tengo para) (pagar|con)|sin (trabajo|plata|dinero)|problemas economicos)\b",
 "paid": r"\b(ya (pague|pg|cancele|aboné|abone|transferi|deposite|consigne|hice el pago|realice el pago)|pague|pagué|cancele|consigne|consignacion|transferi|comprobante|captura|voucher|ticket de pago|recibo de pago|pago realizado|hice el pago|realice el pago|ya pag\w*)\b",
 "high": r"\b(alt[oa]s?|car[oa]s?|exager\w*|excesiv\w*|elevad\w*|inflad\w*|absurd\w*|desorbitad\w*|disparad\w*|por las nubes|mucho|demasiado|doble|triple|duplic\w*|subio|aumento|increment\w*|injust\w*|no (consumi|gaste|use)|inusual|raro|estimad\w*|promedi\w*)\b",
 "copy": r"\b(copia|duplicado|pdf|descarg\w*|imprim\w*|segunda via|reenvi\w*|mandame|enviame|pasame|no (me )?(ha )?llego|no lleg\w*|perdi|extravie|ver (mi|la) (factura|boleta|recibo|cuenta))\b",
 "no_power": r"\b(sin (luz|energia|corriente|servicio|electricidad)|se (fue|corto|cayo|apago) la (luz|energia|corriente)|no (hay|tengo|tenemos|llega) (luz|energia|corriente|electricidad)|apagon|se fue la luz|nos quedamos sin|me quede sin|oscur\w*|a oscuras|corte de (luz|energia)|falla (electrica|de energia))\b",
 "when_back": r"\b(cuando (vuelve|regresa|llega|restablec\w*|repon\w*|conect\w*|arregl\w*|vuelven|viene)|hora (estimada|aproximada)|tiempo estimado|cuanto (falta|tarda|demora|dura)|cuantas horas|novedad\w*|ya (viene|vienen|arreglaron|estan|esta el tecnico)|se sabe algo|restablec\w*|reposicion|estado del corte|que paso)\b",
 "planned": r"\b(programad\w*|mantenimiento|obras?|trabajos|previst\w*|planead\w*|poda|suspensiones? programad\w*|van a (cortar|suspender|quitar)|cortes? (de|por) (mantenimiento|trabajos|obras)|proxim\w* (corte|dias|semana)|esta semana|manana|calendario|cronograma)\b",
 "hazard": r"\b(cable\w*|poste\w*|fuego|incendi\w*|humo|chispa\w*|chispe\w*|explot\w*|explosion|electrocut\w*|descarga|corrientazo|quem\w*|arde|llamas?|caido|cayo|colgando|suelto|peligro\w*|riesgo|emergencia|transformador (exploto|echando|bota)|olor a quemado)\b",
 "quality": r"\b(parpade\w*|intermitent\w*|baj\w* (de )?(tension|voltaje)|sube y baja|altibajos?|fluctu\w*|variacion\w*|picos?|sobrevoltaje|sobretension|voltaje|tension|debil|tenue\w*|va y viene|se va y vuelve|media luz|titil\w*|quem\w* (la|el|mi|los|las) (nevera|tele|televisor|computador|electrodomestic\w*|aparato\w*)|danad\w*|danaron|electrodomestic\w*)\b",
 "complaint": r"\b(queja\w*|reclam\w*|denunci\w*|impugn\w*|inconform\w*|apel\w*|pqr\w*|superintendencia|defensa del consumidor|profeco|indecopi|sernac|libro de reclamaciones|indemniz\w*|compensacion)\b",
 "status": r"\b(estado|como va|en que va|seguimiento|avance|respuesta|respondieron|resolvieron|novedad\w*|ya (aprobaron|resolvieron|respondieron|revisaron)|radicado|ticket|caso|numero de (caso|reclamo|queja))\b",
 "ticket": r"\b(rc|av|em|cs|sl)-?\d{5,7}\b",
 "new_conn": r"\b(nuevo (servicio|suministro|medidor)|nueva (conexion|acometida|instalacion)|conexion nueva|instal\w* (el|la|un|una) (medidor|luz|servicio)|acometida|empalme|factibilidad|contratar|solicitar (el )?servicio|por primera vez|lote|construi|construccion|obra nueva|casa nueva|no tiene (luz|medidor|servicio)|nunca tuvo|llevar la luz|poner (la )?luz|independiz\w*)\b",
 "owner": r"\b(titular\w*|a (mi )?nombre|cambi\w* (de )?(nombre|titular|dueno|propietario)|traspas\w*|nuevo dueno|propietari\w*|dueno|compre (la|una|el) (casa|departamento|apartamento|local)|vend\w* (la|mi) casa|fallec\w*|murio|sucesion|herencia|escritura)\b",
 "reading": r"\b(lectura|marca|dice|indica|muestra|reporto|reportar|anot\w*|foto del medidor|el medidor (marca|dice|indica|esta en|muestra)|numeros? del medidor|autolectura)\b",
 "number": r"\d{3,}",
 "reconnect": r"\b(reconex\w*|reconect\w*|reinstal\w*|restablec\w*|me cortaron|cortaron (la|el)|suspendid\w*|suspendieron|por falta de pago|por no pagar|corte por (deuda|mora|falta))\b",
 "contact": r"\b(actualiz\w*|cambi\w*|modific\w*|correg\w*|nuevo|nueva|registrar|editar|agregar) (mi |el |la |de |mis )?(datos|numero|telefono|celular|correo|email|mail|direccion|contacto|perfil)\b",
 "email": r"[\w.+-]+@[\w-]+(\.[\w-]+)+",
 "ebill": r"\b(factura (electronica|digital|virtual)|e-?factura|boleta (electronica|digital)|recibo (digital|electronico|virtual)|por (correo|email|mail)|sin papel|dejar de recibir (en )?papel|al correo|en (mi|el) (correo|email)|digital|electronic\w*)\b",
 "solar": r"\b(solar\w*|paneles?|placas?|fotovoltaic\w*|autoconsumo|autogenera\w*|prosumidor\w*|excedentes?|inyect\w*|export\w*|vend\w* (energia|a la red)|medicion neta|net ?metering|balance neto|bidireccional|doble sentido|generacion distribuida|on ?grid|creditos? (de energia)?|compensacion)\b",
 "office": r"\b(oficina\w*|sucursal\w*|sede\w*|agencia\w*|centro de atencion|horario\w*|abren|cierran|atienden|direccion de (la|las) oficina|presencial\w*|en persona|donde (quedan|estan|queda|esta)|telefono de (atencion|ustedes)|linea de atencion|sabado|domingo)\b",
 "tariff": r"\b(tarifa\w*|precio|cuanto (cuesta|vale|sale|cobran) (el|cada|un) (kw|kwh|kilo)\w*|valor del (kw|kwh|kilo)\w*|cargo fijo|estrato|subsidio|costo (de la|del) (energia|kw|kwh|luz)|pliego|aumento de (la )?(luz|tarifa)|va a subir)\b",
 "saving": r"\b(ahorr\w*|reduc\w*|baj\w* (el|mi|la) (consumo|gasto|factura|cuenta)|consej\w*|tips?|recomendacion\w*|gastar menos|consumir menos|eficien\w*|led|ahorradores?|standby|stand by|desenchuf\w*|vampiro)\b",
 "history": r"\b(historial|historico|consumo de (los )?(ultimos|meses|este ano|el ano)|ultimos (\w+ )?meses|mes a mes|grafic\w*|evolucion|comparar?|compara|cuanto (he )?consumi\w*|cuanto (he )?gastado|cuantos kwh|kwh (de|del|por) mes)\b",
 "agent": r"\b(asesor\w*|agente\w*|humano\w*|persona\w*|operador\w*|ejecutiv\w*|alguien (real|de verdad)|hablar con|comunicar\w* con|representante)\b",
 "bot": r"\b(robot|bot|maquina|ia|inteligencia artificial|chatbot|programa|automatico|eres (real|humano|una persona|de verdad)|con quien hablo|quien (me )?(responde|escribe|habla)|existis|existes)\b",
 "help": r"\b(ayuda|menu|opciones|que (puedes|podes|sabes) hacer|para que sirves|como funciona|comandos|inicio|estoy perdid\w*|me perdi|que se puede)\b",
 "greet": r"^\W*(hola|holi|buen[oa]s?( (dias|tardes|noches))?|saludos|hey|ey|hi|hello|que tal|quiubo\w*|wena\w*|epa|alo|al[oó])\b",
 "bye": r"\b(chao|chau|adios|hasta (luego|pronto|manana|la vista)|nos vemos|bye|bai|bay|me voy|me retiro|cuidate|se cuida|que te vaya bien|terminar|salir|cerrar)\b",
 "thanks": r"\b(gracias|grax|thx|ty|thanks|agradec\w*|muy amable|dios (le|te) pague|mil gracias|te pasaste|genial)\b",
 "yes": r"^\W*(si+|sip|sep|claro|dale|ok|okay|okey|vale|listo|de una|de acuerdo|correcto|exacto|afirmativo|por supuesto|obvio|sale|va|orale|ya po|eso es|asi es|en efecto|sin duda|confirmo|perfecto|bueno)\b",
 "no": r"^\W*(no+|nop|nel|nah|negativo|para nada|nunca|jamas|tampoco|ni hablar|incorrecto|mejor no|ninguno|nada)\b",
 "emoji_yes": "[\u2705\U0001F44C\U0001F44D]",
 "emoji_no": "[\u274C\U0001F44E]",
 "short": r"^\W*\w{1,8}\W*$",
}

COMPILED: List[Pattern[str]] = [re.compile(expression) for expression in CONCEPTS.values()]


def concept_flags(texts: Iterable[str]) -> np.ndarray:
    """One row per text, one 0/1 column per concept (in CONCEPTS order)."""
    folded = [fold(text) for text in texts]
    return np.array([[1.0 if pattern.search(text) else 0.0 for pattern in COMPILED] for text in folded])
